# bash completion for duckstring and ds — generated from the command tree by `python -m duckstring.reference.gendocs`; do not edit.

_duckstring_catchments() {
    local file="${DUCKSTRING_HOME:-$HOME/.duckstring}/config.toml"
    [[ -r "$file" ]] && sed -n 's/^[[:space:]]*\[catchments\.\([^]]*\)\].*/\1/p' "$file" | tr -d '"'
}

_duckstring_ponds() {
    cat "${DUCKSTRING_HOME:-$HOME/.duckstring}/completion"/*.ponds 2>/dev/null | sort -u
}

_duckstring() {
    local cur prev word cmdpath i skip=0 npos=0 ponds=0 words="" opts=""
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    cmdpath="duckstring"
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        if ((skip)); then skip=0; continue; fi
        case "$cmdpath:$word" in
            'duckstring quickstart:--dir'|'duckstring quickstart:--catchment'|'duckstring quickstart:-c'|'duckstring quickstart:--port'|'duckstring quickstart:-p'|'duckstring status:--catchment'|'duckstring status:-c'|'duckstring status:--major'|'duckstring status:-m'|'duckstring runs:--limit'|'duckstring runs:-n'|'duckstring runs:--catchment'|'duckstring runs:-c'|'duckstring runs:--major'|'duckstring runs:-m'|'duckstring why:--catchment'|'duckstring why:-c'|'duckstring why:--major'|'duckstring why:-m'|'duckstring query:--sql'|'duckstring query:--csv'|'duckstring query:--json'|'duckstring query:--parquet'|'duckstring query:--path'|'duckstring query:--as-of'|'duckstring query:--table-version'|'duckstring query:--catchment'|'duckstring query:-c'|'duckstring query:--major'|'duckstring query:-m'|'duckstring query:--version'|'duckstring query:-v'|'duckstring get:--path'|'duckstring get:--as-of'|'duckstring get:--table-version'|'duckstring get:--catchment'|'duckstring get:-c'|'duckstring get:--major'|'duckstring get:-m'|'duckstring get:--version'|'duckstring get:-v'|'duckstring simulate:--until'|'duckstring audit:--pond'|'duckstring audit:-p'|'duckstring audit:--who'|'duckstring audit:--limit'|'duckstring audit:-n'|'duckstring audit:--catchment'|'duckstring audit:-c'|'duckstring catchment init:--name'|'duckstring catchment init:-n'|'duckstring catchment init:--host'|'duckstring catchment init:--port'|'duckstring catchment init:-p'|'duckstring catchment init:--root'|'duckstring catchment init:--key'|'duckstring catchment init:--header'|'duckstring catchment init:--data-url'|'duckstring catchment init:--launcher'|'duckstring catchment init:--ray-address'|'duckstring catchment connect:--name'|'duckstring catchment connect:-n'|'duckstring catchment connect:--path'|'duckstring catchment connect:--url'|'duckstring catchment connect:--key'|'duckstring catchment connect:--header'|'duckstring catchment download:--catchment'|'duckstring catchment download:-c'|'duckstring catchment download:--path'|'duckstring catchment key add:--level'|'duckstring catchment key add:-l'|'duckstring catchment key add:--catchment'|'duckstring catchment key add:-c'|'duckstring catchment key list:--catchment'|'duckstring catchment key list:-c'|'duckstring catchment key revoke:--catchment'|'duckstring catchment key revoke:-c'|'duckstring catchment key rotate:--catchment'|'duckstring catchment key rotate:-c'|'duckstring pond deploy:--catchment'|'duckstring pond deploy:-c'|'duckstring pond remove:--major'|'duckstring pond remove:-m'|'duckstring pond remove:--catchment'|'duckstring pond remove:-c'|'duckstring pond hydrate:--source'|'duckstring pond hydrate:-s'|'duckstring pond hydrate:--path'|'duckstring pond hydrate:--catchment'|'duckstring pond hydrate:-c'|'duckstring pond run:--ripple'|'duckstring pond run:--path'|'duckstring puddle ls:--path'|'duckstring puddle show:--rows'|'duckstring puddle show:-n'|'duckstring puddle show:--path'|'duckstring puddle query:--path'|'duckstring trigger tap:--catchment'|'duckstring trigger tap:-c'|'duckstring trigger tap:--major'|'duckstring trigger tap:-m'|'duckstring trigger tap:--version'|'duckstring trigger tap:-v'|'duckstring trigger pulse:--at'|'duckstring trigger pulse:--catchment'|'duckstring trigger pulse:-c'|'duckstring trigger pulse:--major'|'duckstring trigger pulse:-m'|'duckstring trigger pulse:--version'|'duckstring trigger pulse:-v'|'duckstring trigger wave:--every'|'duckstring trigger wave:-e'|'duckstring trigger wave:--catchment'|'duckstring trigger wave:-c'|'duckstring trigger wave:--major'|'duckstring trigger wave:-m'|'duckstring trigger wave:--version'|'duckstring trigger wave:-v'|'duckstring trigger tide:--catchment'|'duckstring trigger tide:-c'|'duckstring trigger tide:--major'|'duckstring trigger tide:-m'|'duckstring trigger tide:--version'|'duckstring trigger tide:-v'|'duckstring trigger remove:--catchment'|'duckstring trigger remove:-c'|'duckstring trigger remove:--major'|'duckstring trigger remove:-m'|'duckstring trigger remove:--version'|'duckstring trigger remove:-v'|'duckstring trigger window:--catchment'|'duckstring trigger window:-c'|'duckstring trigger window:--major'|'duckstring trigger window:-m'|'duckstring trigger window add:--name'|'duckstring trigger window add:-n'|'duckstring trigger window add:--every'|'duckstring trigger window add:-e'|'duckstring trigger window add:--start'|'duckstring trigger window add:-s'|'duckstring trigger window add:--duration'|'duckstring trigger window add:-d'|'duckstring trigger window add:--on'|'duckstring trigger window add:-o'|'duckstring trigger window add:--until'|'duckstring trigger window add:-u'|'duckstring control wake:--catchment'|'duckstring control wake:-c'|'duckstring control wake:--major'|'duckstring control wake:-m'|'duckstring control wake:--version'|'duckstring control wake:-v'|'duckstring control force:--catchment'|'duckstring control force:-c'|'duckstring control force:--major'|'duckstring control force:-m'|'duckstring control force:--version'|'duckstring control force:-v'|'duckstring control sleep:--catchment'|'duckstring control sleep:-c'|'duckstring control sleep:--major'|'duckstring control sleep:-m'|'duckstring control sleep:--version'|'duckstring control sleep:-v'|'duckstring control kill:--catchment'|'duckstring control kill:-c'|'duckstring control kill:--major'|'duckstring control kill:-m'|'duckstring control kill:--version'|'duckstring control kill:-v'|'duckstring control clear:--catchment'|'duckstring control clear:-c'|'duckstring control clear:--major'|'duckstring control clear:-m'|'duckstring control clear:--version'|'duckstring control clear:-v'|'duckstring control failure-budget:--immediate'|'duckstring control failure-budget:-i'|'duckstring control failure-budget:--on-change'|'duckstring control failure-budget:-o'|'duckstring control failure-budget:--catchment'|'duckstring control failure-budget:-c'|'duckstring control failure-budget:--major'|'duckstring control failure-budget:-m'|'duckstring control failure-budget:--version'|'duckstring control failure-budget:-v'|'duckstring duck set:--launcher'|'duckstring duck set:-l'|'duckstring duck set:--cpus'|'duckstring duck set:--memory'|'duckstring duck set:--resources'|'duckstring duck set:--catchment'|'duckstring duck set:-c'|'duckstring duck show:--catchment'|'duckstring duck show:-c'|'duckstring duck check:--catchment'|'duckstring duck check:-c'|'duckstring secret set:--pond'|'duckstring secret set:-p'|'duckstring secret set:--catchment'|'duckstring secret set:-c'|'duckstring secret list:--catchment'|'duckstring secret list:-c'|'duckstring secret rm:--pond'|'duckstring secret rm:-p'|'duckstring secret rm:--catchment'|'duckstring secret rm:-c'|'duckstring alert add:--on'|'duckstring alert add:--pond'|'duckstring alert add:-p'|'duckstring alert add:--stale'|'duckstring alert add:--renotify'|'duckstring alert add:--to'|'duckstring alert add:--catchment'|'duckstring alert add:-c'|'duckstring alert list:--catchment'|'duckstring alert list:-c'|'duckstring alert rm:--catchment'|'duckstring alert rm:-c'|'duckstring alert test:--catchment'|'duckstring alert test:-c'|'duckstring alert test:--wait'|'duckstring alert log:--alert'|'duckstring alert log:-a'|'duckstring alert log:--limit'|'duckstring alert log:-n'|'duckstring alert log:--catchment'|'duckstring alert log:-c') skip=1; continue ;;
        esac
        case "$word" in -*) continue ;; esac
        case "$cmdpath $word" in
            'duckstring quickstart'|'duckstring status'|'duckstring runs'|'duckstring why'|'duckstring query'|'duckstring get'|'duckstring simulate'|'duckstring audit'|'duckstring catchment'|'duckstring catchment init'|'duckstring catchment start'|'duckstring catchment connect'|'duckstring catchment list'|'duckstring catchment set-default'|'duckstring catchment disconnect'|'duckstring catchment download'|'duckstring catchment key'|'duckstring catchment key add'|'duckstring catchment key list'|'duckstring catchment key revoke'|'duckstring catchment key rotate'|'duckstring pond'|'duckstring pond init'|'duckstring pond demo'|'duckstring pond deploy'|'duckstring pond remove'|'duckstring pond hydrate'|'duckstring pond run'|'duckstring puddle'|'duckstring puddle ls'|'duckstring puddle show'|'duckstring puddle query'|'duckstring trigger'|'duckstring trigger tap'|'duckstring trigger pulse'|'duckstring trigger wave'|'duckstring trigger tide'|'duckstring trigger remove'|'duckstring trigger window'|'duckstring trigger window add'|'duckstring trigger window list'|'duckstring trigger window remove'|'duckstring control'|'duckstring control wake'|'duckstring control force'|'duckstring control sleep'|'duckstring control kill'|'duckstring control clear'|'duckstring control failure-budget'|'duckstring duck'|'duckstring duck set'|'duckstring duck show'|'duckstring duck check'|'duckstring secret'|'duckstring secret set'|'duckstring secret list'|'duckstring secret rm'|'duckstring alert'|'duckstring alert add'|'duckstring alert list'|'duckstring alert rm'|'duckstring alert test'|'duckstring alert log') cmdpath="$cmdpath $word"; npos=0 ;;
            *) npos=$((npos + 1)) ;;
        esac
    done
    if ((skip)); then
        case "$prev" in
            --catchment|-c) COMPREPLY=($(compgen -W "$(_duckstring_catchments)" -- "$cur")) ;;
        esac
        return
    fi
    case "$cmdpath" in
        'duckstring') words='quickstart status runs why query get simulate audit catchment pond puddle trigger control duck secret alert'; opts='--version --install-completion --show-completion --help -h'; ;;
        'duckstring quickstart') words=''; opts='--dir --catchment -c --port -p --help -h'; ;;
        'duckstring status') words=''; opts='--once --catchment -c --major -m --json --help -h'; ponds=1; ;;
        'duckstring runs') words=''; opts='--limit -n --failed --lineage --logs --catchment -c --major -m --json --help -h'; ponds=1; ;;
        'duckstring why') words=''; opts='--catchment -c --major -m --json --help -h'; ponds=1; ;;
        'duckstring query') words=''; opts='--sql --csv --json --parquet --path --as-of --table-version --catchment -c --major -m --version -v --help -h'; ponds=1; ;;
        'duckstring get') words=''; opts='--path --as-of --table-version --catchment -c --major -m --version -v --help -h'; ponds=1; ;;
        'duckstring simulate') words=''; opts='--until --json --help -h'; ;;
        'duckstring audit') words=''; opts='--pond -p --who --limit -n --catchment -c --json --help -h'; ;;
        'duckstring catchment') words='init start connect list set-default disconnect download key'; opts='--help -h'; ;;
        'duckstring catchment init') words=''; opts='--name -n --host --port -p --root --key --generate-key --header --default --no-default --yes -y --no-start --data-url --launcher --ray-address --help -h'; ;;
        'duckstring catchment start') words=''; opts='--help -h'; words="$(_duckstring_catchments)"; ;;
        'duckstring catchment connect') words=''; opts='--name -n --path --url --key --header --default --no-default --yes -y --help -h'; ;;
        'duckstring catchment list') words=''; opts='--json --help -h'; ;;
        'duckstring catchment set-default') words=''; opts='--help -h'; words="$(_duckstring_catchments)"; ;;
        'duckstring catchment disconnect') words=''; opts='--purge --help -h'; words="$(_duckstring_catchments)"; ;;
        'duckstring catchment download') words=''; opts='--catchment -c --path --with-secrets-key --yes -y --help -h'; ;;
        'duckstring catchment key') words='add list revoke rotate'; opts='--help -h'; ;;
        'duckstring catchment key add') words=''; opts='--level -l --catchment -c --help -h'; ;;
        'duckstring catchment key list') words=''; opts='--catchment -c --json --help -h'; ;;
        'duckstring catchment key revoke') words=''; opts='--catchment -c --help -h'; ;;
        'duckstring catchment key rotate') words=''; opts='--catchment -c --help -h'; ;;
        'duckstring pond') words='init demo deploy remove hydrate run'; opts='--help -h'; ;;
        'duckstring pond init') words=''; opts='--help -h'; ;;
        'duckstring pond demo') words=''; opts='--yes -y --help -h'; ;;
        'duckstring pond deploy') words=''; opts='--all --catchment -c --yes -y --help -h'; ;;
        'duckstring pond remove') words=''; opts='--major -m --wipe --catchment -c --yes -y --help -h'; ponds=1; ;;
        'duckstring pond hydrate') words=''; opts='--source -s --from-catchment --path --catchment -c --help -h'; ;;
        'duckstring pond run') words=''; opts='--ripple --fresh --path --help -h'; ;;
        'duckstring puddle') words='ls show query'; opts='--help -h'; ;;
        'duckstring puddle ls') words=''; opts='--path --json --help -h'; ;;
        'duckstring puddle show') words=''; opts='--rows -n --path --json --help -h'; ;;
        'duckstring puddle query') words=''; opts='--path --json --help -h'; ;;
        'duckstring trigger') words='tap pulse wave tide remove window'; opts='--help -h'; ;;
        'duckstring trigger tap') words=''; opts='--catchment -c --major -m --version -v --silent --watch --dry-run --json --help -h'; ponds=1; ;;
        'duckstring trigger pulse') words=''; opts='--at --catchment -c --major -m --version -v --silent --watch --dry-run --json --help -h'; ponds=1; ;;
        'duckstring trigger wave') words=''; opts='--every -e --catchment -c --major -m --version -v --silent --dry-run --json --help -h'; ponds=1; ;;
        'duckstring trigger tide') words=''; opts='--catchment -c --major -m --version -v --silent --dry-run --json --help -h'; ponds=1; ;;
        'duckstring trigger remove') words=''; opts='--catchment -c --major -m --version -v --help -h'; ponds=1; ;;
        'duckstring trigger window') words='add list remove'; opts='--catchment -c --major -m --help -h'; ponds=1; ;;
        'duckstring trigger window add') words=''; opts='--name -n --every -e --start -s --duration -d --on -o --until -u --json --help -h'; ;;
        'duckstring trigger window list') words=''; opts='--json --help -h'; ;;
        'duckstring trigger window remove') words=''; opts='--help -h'; ;;
        'duckstring control') words='wake force sleep kill clear failure-budget'; opts='--help -h'; ;;
        'duckstring control wake') words=''; opts='--catchment -c --major -m --version -v --silent --watch --dry-run --json --help -h'; ponds=1; ;;
        'duckstring control force') words=''; opts='--catchment -c --major -m --version -v --silent --watch --dry-run --json --help -h'; ponds=1; ;;
        'duckstring control sleep') words=''; opts='--upstream --catchment -c --major -m --version -v --help -h'; ponds=1; ;;
        'duckstring control kill') words=''; opts='--catchment -c --major -m --version -v --help -h'; ponds=1; ;;
        'duckstring control clear') words=''; opts='--catchment -c --major -m --version -v --help -h'; ponds=1; ;;
        'duckstring control failure-budget') words=''; opts='--immediate -i --on-change -o --catchment -c --major -m --version -v --json --help -h'; ponds=1; ;;
        'duckstring duck') words='set show check'; opts='--help -h'; ;;
        'duckstring duck set') words=''; opts='--launcher -l --cpus --memory --resources --reset --catchment -c --json --help -h'; ponds=1; ;;
        'duckstring duck show') words=''; opts='--catchment -c --json --help -h'; ponds=1; ;;
        'duckstring duck check') words=''; opts='--catchment -c --json --help -h'; ponds=1; ;;
        'duckstring secret') words='set list rm'; opts='--help -h'; ;;
        'duckstring secret set') words=''; opts='--pond -p --catchment -c --help -h'; ;;
        'duckstring secret list') words=''; opts='--catchment -c --json --help -h'; ;;
        'duckstring secret rm') words=''; opts='--pond -p --catchment -c --help -h'; ;;
        'duckstring alert') words='add list rm test log'; opts='--help -h'; ;;
        'duckstring alert add') words=''; opts='--on --pond -p --stale --renotify --to --catchment -c --help -h'; ;;
        'duckstring alert list') words=''; opts='--catchment -c --json --help -h'; ;;
        'duckstring alert rm') words=''; opts='--catchment -c --help -h'; ;;
        'duckstring alert test') words=''; opts='--catchment -c --wait --help -h'; ;;
        'duckstring alert log') words=''; opts='--alert -a --limit -n --catchment -c --json --help -h'; ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif ((ponds && npos == 0)); then
        COMPREPLY=($(compgen -W "$(_duckstring_ponds)" -- "$cur"))
    elif ((!ponds || npos == 1)); then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}

complete -o default -F _duckstring duckstring ds
