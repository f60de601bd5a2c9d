#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <regex>

namespace harness {

namespace http = boost::beast::http;

HttpReply http_request(std::uint16_t port, const std::string& target, http::verb method) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return {response.result_int(), std::string(response[http::field::content_type]), response.body()};
}

std::uint16_t http_port(Process& process) {
  REQUIRE(process.wait_for_log("serving /metrics"));
  std::smatch match;
  auto log = process.log();
  REQUIRE(std::regex_search(log, match, std::regex("on http://127\\.0\\.0\\.1:([0-9]+)")));
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

double sample(const std::string& exposition, const std::string& series) {
  auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

double scrape(std::uint16_t port, const std::string& series) {
  return sample(http_request(port, "/metrics").body, series);
}

}  // namespace harness
