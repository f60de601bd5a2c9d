# bash completion for resolver (installed as share/bash-completion/completions/resolver).
#
# Subcommands and the values of enumerated options are listed here; the option names
# themselves are read from `resolver COMMAND --help`, so they never drift from the binary.

_resolver_options() {
  # Option names from the indented option lines of --help ("  -f,--file FILE  ...").
  "$1" "$2" --help 2>/dev/null |
    grep -E '^ +-' |
    grep -oE '(^| |,)--?[A-Za-z][A-Za-z0-9-]*' |
    sed -E 's/^[ ,]//' |
    sort -u
}

_resolver() {
  local cur prev command i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"
  COMPREPLY=()

  command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      server | client | check)
        command="${COMP_WORDS[i]}"
        break
        ;;
    esac
  done

  if [[ -z "$command" ]]; then
    COMPREPLY=($(compgen -W "server client check --help --version" -- "$cur"))
    return 0
  fi

  case "$prev" in
    --type) COMPREPLY=($(compgen -W "A AAAA" -- "$cur")); return 0 ;;
    --format) COMPREPLY=($(compgen -W "ip record json" -- "$cur")); return 0 ;;
    --parent-protocol) COMPREPLY=($(compgen -W "dns tcp text" -- "$cur")); return 0 ;;
    --log-level) COMPREPLY=($(compgen -W "trace debug info warn error" -- "$cur")); return 0 ;;
    --log-queries) COMPREPLY=($(compgen -W "text json" -- "$cur")); return 0 ;;
    --config)
      # TOML files first; any file when none matches.
      COMPREPLY=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
      ((${#COMPREPLY[@]} == 0)) && COMPREPLY=($(compgen -f -- "$cur"))
      return 0
      ;;
    -f | --file | --cache-file | --records | --hosts)
      COMPREPLY=($(compgen -f -- "$cur"))
      return 0
      ;;
    --timeout | --retries | --rate | -c | --concurrency | --threads | --cache-size | --listen | \
      --forward | --parent | --hosts-ttl | --http | --proxy-from | --shared-cache | \
      --shared-cache-timeout)
      return 0  # a value the user types
      ;;
  esac

  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_resolver_options "${COMP_WORDS[0]}" "$command")" -- "$cur"))
    return 0
  fi
  # Positional arguments: record files for check and server, nothing to guess for client.
  case "$command" in
    check | server) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
  return 0
}

complete -o filenames -o bashdefault -F _resolver resolver
