#!/usr/bin/env zsh
# Prints what zsh's completion system offers for a command line, one match per line:
#   zsh -f zsh-complete.zsh FPATH_DIR 'bosctl session describe '
#   zsh -f zsh-complete.zsh SCRIPT_FILE 'bosctl session describe '
# A child zsh runs interactively on a pseudo-terminal (zpty) with compinit and FPATH_DIR
# first in $fpath (or SCRIPT_FILE sourced after compinit, as ~/.zshrc would); Tab runs a widget that completes the line with compadd wrapped so that
# every match it adds is also printed, then prints an end marker.
zmodload zsh/zpty || exit 3
local dir=$1 line=$2 out=
# a watchdog: a shell that never answers is an error with a message, not a hung test
TRAPALRM() { print -u2 "zsh-complete: no answer in 60 s; read so far: ${out//$'\r'/}"; exit 4; }
( trap 'kill $s; exit 0' TERM; sleep 60 & s=$!; wait $s && kill -ALRM $$ ) &!
local watchdog=$!
zpty -b z zsh -f -i
zpty -w z "PS1='' PS2='' RPROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null"
if [[ -f $dir ]]; then
  zpty -w z "autoload -Uz compinit; compinit -u -D; source ${(q)dir}"
else
  zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
fi
zpty -w z "zstyle ':completion:*' menu no; zstyle ':completion:*' list-prompt ''"
zpty -w z 'compadd() { local -a __m; builtin compadd -O __m "$@"; (( ${#__m} )) && print -rl -- "${(@)__m/#/<""m>}" >/dev/tty; builtin compadd "$@"; }'
# (the markers are spelled apart in what is typed: the terminal echoes it)
zpty -w z '__probe() { print -r -- "<""begin>" >/dev/tty; zle complete-word; print -r -- "<""end>" >/dev/tty; }; zle -N __probe; bindkey "^I" __probe'
zpty -n -w z "${line}"$'\t'
# reads until the end marker (what the widget printed, the echo of the typed line before it)
zpty -r -m z out '*<end>*' || { print -u2 "zsh-complete: zsh ended before completing: $out"; exit 4; }
kill $watchdog 2>/dev/null
zpty -d z
out=${out//$'\r'/}
out=${out#*'<begin>'}
out=${out%%'<end>'*}
for l in "${(@f)out}"; do [[ $l == '<m>'* ]] && print -r -- "${l#<m>}"; done
exit 0
