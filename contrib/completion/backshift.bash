# backshift.bash - bash completion for backshift and the bs-* tools.
# Installed as share/bash-completion/completions/backshift, with a link
# for each tool.  Completes verbs, options, backup ids (from the repository
# given with -r or in $BACKSHIFT_REPOSITORY) and paths.

# The repository named on the command line so far, or in the environment.
_backshift_repo()
{
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -r ]]; then
			printf '%s' "${COMP_WORDS[i + 1]}"
			return
		fi
	done
	printf '%s' "${BACKSHIFT_REPOSITORY:-}"
}

# Backup ids of that repository, and "latest".
_backshift_backups()
{
	local repo
	repo="$(_backshift_repo)"
	[[ -n $repo && -d $repo/backups ]] || return
	printf '%s\n' latest
	command ls -1 "$repo/backups" 2>/dev/null | command grep -v '^\.'
}

_backshift_opts()
{
	case "$1" in
	bs-walk) echo "-x --one-file-system --exclude --exclude-from --exclude-caches --exclude-if-present -h --help --version" ;;
	bs-chunk) echo "-P -r -H -s -p -h --version" ;;
	bs-store) echo "-r -j -m -h --version" ;;
	bs-index) echo "-r -s -H -q --json -h --version" ;;
	bs-cat) echo "-r -H -s -C -j -m -h --help --version" ;;
	bs-ls) echo "-r -H -s -l -0 --json --records --summary --diff --find --priors -h --help --version" ;;
	bs-expire) echo "-r -n -v -H -s --json --max-age --metadata-max-age --keep-last --keep-hourly --keep-daily --keep-weekly --keep-monthly --keep-yearly --check-hashes --no-wait -h --help --version" ;;
	bs-init) echo "-c -z --set --max-age --metadata-max-age --refresh --keep-last --keep-hourly --keep-daily --keep-weekly --keep-monthly --keep-yearly -h --help --version" ;;
	bs-check) echo "-r --json --read-data -j -m -h --help --version" ;;
	save) echo "-r -s -H -P -q -x -m --one-file-system --exclude --exclude-from --exclude-caches --exclude-if-present" ;;
	list) echo "-r -H -s -l --json" ;;
	restore) echo "-r -H -s -C -m" ;;
	diff|find) echo "-r -H -s -0 --json" ;;
	expire) _backshift_opts bs-expire ;;
	check) _backshift_opts bs-check ;;
	init) _backshift_opts bs-init ;;
	esac
}

_backshift()
{
	local cur prev cmd verb i
	cur="${COMP_WORDS[COMP_CWORD]}"
	prev="${COMP_WORDS[COMP_CWORD - 1]}"
	cmd="${COMP_WORDS[0]##*/}"
	verb="$cmd"
	if [[ $cmd == backshift ]]; then
		verb=""
		for ((i = 1; i < COMP_CWORD; i++)); do
			case "${COMP_WORDS[i]}" in
			-*) ;;
			*) verb="${COMP_WORDS[i]}"; break ;;
			esac
		done
		if [[ -z $verb ]]; then
			COMPREPLY=($(compgen -W "init save list restore diff find expire check -v -h --help --version" -- "$cur"))
			return
		fi
	fi
	case "$prev" in
	-r|-C|--exclude-from)
		COMPREPLY=($(compgen -d -- "$cur"))
		[[ $prev == --exclude-from ]] && COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-H|-s|--exclude|--exclude-if-present|--max-age|--metadata-max-age|--refresh|--keep-*|-c|-z|-p)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_backshift_opts "$verb")" -- "$cur"))
		return
	fi
	case "$verb" in
	list|restore|diff|bs-cat|bs-ls|check|bs-check)
		if [[ $cur != /* ]]; then
			COMPREPLY=($(compgen -W "$(_backshift_backups)" -- "$cur"))
			return
		fi ;;
	esac
	COMPREPLY=($(compgen -f -- "$cur"))
}

complete -F _backshift backshift bs-walk bs-chunk bs-store bs-index bs-cat bs-ls bs-expire bs-init bs-check
