#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into corpus/<target>/ (run from anywhere).

Seeds are small, hand-laid DNS messages (RFC 1035 4.1) and text lines; libFuzzer starts from
them so it reaches the deeper checks (EDNS, CNAME chains, SOA) in seconds instead of minutes.
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent


def name(text):
    out = b""
    for label in text.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(ident, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def question(text, qtype=1, qclass=1):
    return name(text) + struct.pack(">HH", qtype, qclass)


def rr(owner, rtype, ttl, rdata, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def opt(udp=1232, version=0, do=False, options=b""):
    ttl = version << 16 | (0x8000 if do else 0)
    return b"\0" + struct.pack(">HHIH", 41, udp, ttl, len(options)) + options


PTR_QNAME = b"\xc0\x0c"
SOA_RDATA = name("ns.example.com") + name("hostmaster.example.com") + struct.pack(
    ">IIIII", 1, 3600, 600, 86400, 300)

SEEDS = {
    "fuzz_query_parser": {
        "a": header(0x1234, 0x0100) + question("www.example.com"),
        "a_edns": header(0x1234, 0x0100, ar=1) + question("WwW.Example.com") + opt(4096, do=True),
        "aaaa_cookie": header(7, 0x0100, ar=1) + question("example.org", 28)
        + opt(options=struct.pack(">HH", 10, 8) + b"12345678"),
        "axfr": header(1, 0) + question("example.com", 252),
        "chaos": header(2, 0) + question("version.bind", 16, 3),
        "badvers": header(3, 0x0100, ar=1) + question("example.com") + opt(version=1),
        "two_opt": header(4, 0x0100, ar=2) + question("example.com") + opt() + opt(),
        "status": header(5, 0x1000) + question("example.com"),
        "qd0": header(6, 0x0100, qd=0),
        "compressed": header(8, 0x0100, ar=1) + question("a.b") + rr(b"\xc0\x0c", 1, 0, b"1234"),
    },
    "fuzz_name": {
        "plain": b"\x00" + name("www.example.com"),
        "pointer": b"\x0e" + name("example.com")[:-1] + b"\x00\x03www\xc0\x01",
        "chain": b"\x06\x03com\x00\x01a\xc0\x01\x01b\xc0\x06",
        "text": b"www.example.com.",
        "text_bad": b"a..b$c",
        "long_label": b"x." + b"a" * 64,
    },
    "fuzz_upstream_reply": {
        "a": header(0x4242, 0x8180, an=1) + question("www.example.com")
        + rr(PTR_QNAME, 1, 3600, bytes([192, 0, 2, 1])),
        "cname": header(0x4242, 0x8180, an=2) + question("www.example.com")
        + rr(PTR_QNAME, 5, 60, b"\x03web\xc0\x10") + rr(b"\xc0\x2d", 1, 60, bytes([192, 0, 2, 8])),
        "nxdomain": header(0x4242, 0x8183, ns=1) + question("www.example.com")
        + rr(b"\xc0\x10", 6, 60, b"\x02ns\xc0\x10\x0ahostmaster\xc0\x10" + bytes(20)),
        "nodata_opt": header(0x4242, 0x8180, ns=1, ar=1) + question("www.example.com")
        + rr(name("example.com"), 6, 60, SOA_RDATA) + opt(),
        "additional": header(0x4242, 0x8580, an=1, ar=1) + question("www.example.com", 255)
        + rr(PTR_QNAME, 15, 60, b"\x00\x0a\x02mx\xc0\x10") + rr(name("mx.example.com"), 1, 60,
                                                                  b"\x01\x02\x03\x04"),
        "soa_rdata": SOA_RDATA,
    },
    "fuzz_text_query": {
        "query": b"www.example.com\n",
        "query_crlf": b"www.example.com\r\n",
        "reply": b"www.example.com,192.0.2.1,60\nwww.example.com,2001:db8::1,30",
        "nxdomain": b"www.example.com,NXDOMAIN,60",
        "servfail": b"www.example.com,SERVFAIL,0\nother.example,1.2.3.4,5",
    },
    "fuzz_record_file": {
        "sample": (HERE.parent.parent / "data" / "parent.txt").read_bytes(),
        "bad": b"# comment\nwww.example.com,192.0.2.1\n bad..name , 1.2.3.4 , 60\n"
        b"x,2001:db8::1,2147483648\ny,::1,5,extra\n",
        "crlf": b"a.example,192.0.2.1,60\r\nb.example,192.0.2.2,0 # zero\r\n",
        "lab": (HERE.parent.parent / "data" / "lab.txt").read_bytes(),
        "types": b"a.example,A,192.0.2.1,60\nA.example,aaaa,2001:db8::1,60\n"
        b"www.example,CNAME,a.example.,60\nexample,MX,10 mail.example,300\n"
        b"example,mx,0 .,300\n_sip._udp.example,SRV,0 5 5060 sip.example,300\n"
        b"1.2.0.192.in-addr.arpa,PTR,a.example,60\n*.dev.example,10.0.0.5,60\n",
        "txt": b't.example,TXT,"v=spf1 -all" "a,b # c" word,60 # comment "x"\r\n'
        b'u.example,txt,"say \\"hi\\" \\\\ \\065",60\n'
        b'v.example,TXT,"' + b"k" * 300 + b'",60\n',
        "cname_conflict": b"x.example,CNAME,y.example,60\nx.example,192.0.2.1,60\n"
        b"z.example,CNAME,a.example,60\nz.example,CNAME,b.example,60\n"
        b"loop.example,CNAME,loop.example,60\n",
        "typed_bad": b"x,MXX,1,60\nx,MX,ten mail,60\nx,SRV,1 2 3,60\nx,TXT,\"open,60\n"
        b"a.*.b,1.2.3.4,60\nx,A,::1,60\nx,CNAME,60\nx,TXT,\"a\"b,60,extra\n",
    },
    "fuzz_hosts_file": {
        "etc_hosts": b"127.0.0.1\tlocalhost\n::1 localhost ip6-localhost ip6-loopback\n"
        b"# comment\n\n192.0.2.10  nas.lab.example nas   # the NAS\r\n"
        b"fe80::1%eth0 router\n2001:db8::10 nas.lab.example\n",
        "bad": b"300.1.1.1 a\n192.0.2.1\n192.0.2.1 bad!name\n1.2.3.4%x y\nfe80::1% z\n",
    },
    "fuzz_config_file": {
        "example": (HERE.parent.parent / "dist" / "resolver.toml").read_bytes(),
        "arrays": b'port = 1199\nparent-ip = "127.0.0.1"\nforward = [\n'
        b'  "corp.example=10.0.0.53",  # comment\n  \'lab.example=10.1.0.53\',\n]\n'
        b"recursion = true\ncache-size = 50_000\nmin-ttl = +1e3\n",
        "mistakes": b'[server]\nkey.dotted = 1\nname = unquoted\ns = "esc\\q"\n'
        b'port = 1\nport = 2\nlist = [1, [2]]\nopen = [\n',
    },
}
# The hit path's codec takes the same datagrams; its target checks them against parse_query.
SEEDS["fuzz_plain_query"] = SEEDS["fuzz_query_parser"]


def main():
    for target, seeds in SEEDS.items():
        directory = HERE / "corpus" / target
        directory.mkdir(parents=True, exist_ok=True)
        for seed_name, data in seeds.items():
            (directory / seed_name).write_bytes(data)


if __name__ == "__main__":
    main()
