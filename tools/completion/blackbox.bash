# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for blackbox's commands: replay-log, bb-crashcheck,
# dirtylog, dirtylogd, bbctl, bb-healthd. Generated at completion time from
# each command's own --help (its --options), so it never falls behind the
# command; only the values of a few options are listed here. Installed
# under each command's name in bash-completion's completions directory
# (make install).

_blackbox_complete() {
	local cmd=$1 cur prev opts
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case "$cmd:$prev" in
	replay-log:--check) mapfile -t COMPREPLY < <(compgen -W "flush fua discard" -- "$cur"); return ;;
	bb-crashcheck:--fs | bb-crashcheck:--print-profile) mapfile -t COMPREPLY < <(compgen -W "ext4 xfs btrfs" -- "$cur"); return ;;
	bb-crashcheck:--view) mapfile -t COMPREPLY < <(compgen -W "auto reflink copy dm-snapshot" -- "$cur"); return ;;
	*:--fsck | *:--check-cmd) mapfile -t COMPREPLY < <(compgen -c -- "$cur"); return ;;
	bb-healthd:--config | bb-healthd:-c) ;; # a file, below
	bb-healthd:*) [[ $cur == -* ]] || return ;; # device names: none offered
	esac
	local sub=()
	if [ "$cmd" = bbctl ]; then
		# bbctl <command>: the command first, then its own options.
		if [ "$COMP_CWORD" -eq 1 ]; then
			mapfile -t COMPREPLY < <(compgen -W "events log" -- "$cur")
			return
		fi
		sub=("${COMP_WORDS[1]}")
		[ "${sub[0]}" = events ] && [[ $cur != -* ]] && return # device names: none offered
	fi
	# bb-crashcheck merge REPORT...: merge's own options, then files.
	if [ "$cmd" = bb-crashcheck ]; then
		if [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "merge" -- "$cur")
			[ ${#COMPREPLY[@]} -gt 0 ] && return
		fi
		[ "${COMP_WORDS[1]}" = merge ] && [ "$COMP_CWORD" -gt 1 ] && sub=(merge)
	fi
	if [[ $cur == -* ]]; then
		opts=$("$cmd" "${sub[@]}" --help 2>&1 | grep -o -e '--[a-z][a-z0-9-]*' | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	# Everything else is a file or a block device.
	if declare -F _filedir >/dev/null; then
		_filedir
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}
complete -F _blackbox_complete replay-log bb-crashcheck dirtylog dirtylogd bbctl bb-healthd
