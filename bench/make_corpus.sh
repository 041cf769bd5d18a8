#!/usr/bin/env bash
# Builds the word2vec benchmark corpus deterministically from text that every
# Debian machine with man-db has: the installed section-1 manual pages, taken
# in byte order of their file names, rendered as plain text (man -l, col -b),
# lower-cased (lines 1000 columns wide, so few words are hyphenated), reduced to runs of ASCII letters, one paragraph per line, until
# at least WORDS words are collected. The same installed packages give the
# same corpus; the script prints its word count and sha256 so runs can be
# compared.
#
#   bench/make_corpus.sh OUT [WORDS]      (default 1200000 words)
set -euo pipefail
out=${1:?usage: make_corpus.sh OUT [WORDS]}
want=${2:-1200000}
command -v man > /dev/null || { echo "make_corpus.sh: needs man-db (apt-get install man-db groff-base)" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.page"' EXIT
words=0
while IFS= read -r page; do
  MANWIDTH=1000 man -l "$page" 2> /dev/null | col -b |
    tr 'A-Z' 'a-z' | sed -e 's/[^a-z]\+/ /g' -e 's/^ *//' -e 's/ *$//' |
    awk 'NF == 0 { if (n) print line; line = ""; n = 0; next } { line = n ? line " " $0 : $0; n += NF } END { if (n) print line }' > "$tmp.page"
  words=$((words + $(wc -w < "$tmp.page")))
  cat "$tmp.page" >> "$tmp"
  [ "$words" -ge "$want" ] && break
done < <(find /usr/share/man/man1 -name '*.1.gz' | LC_ALL=C sort)
[ "$words" -ge "$want" ] || { echo "make_corpus.sh: only $words words of manual pages installed, wanted $want" >&2; exit 1; }
mv "$tmp" "$out"
rm -f "$tmp.page"
trap - EXIT
echo "$out: $(wc -l < "$out") lines, $words words, sha256 $(sha256sum "$out" | cut -c1-16)"
