#!/bin/sh
# Writes deploy/.env for the compose stack from deploy/.env.example: every
# empty setting there (the secrets) gets a random value, the rest is copied.
# It never overwrites an existing deploy/.env.
set -eu
cd "$(dirname "$0")"
if [ -e .env ]; then
	echo "deploy/.env exists already: remove it first to make new secrets" >&2
	exit 1
fi

# A letter, then 31 letters or digits: about 190 bits, and a value that
# nats-server reads as a string (see .env.example).
secret() {
	printf 'p%s' "$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 31)"
}

umask 077
tmp=$(mktemp .env.XXXXXX)
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	[A-Z]*=) printf '%s%s\n' "$line" "$(secret)" ;;
	*) printf '%s\n' "$line" ;;
	esac
done <.env.example >"$tmp"
mv "$tmp" .env
trap - EXIT
echo "wrote deploy/.env with new secrets; Grafana's admin password is GRAFANA_ADMIN_PASSWORD there"
