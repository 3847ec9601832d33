#!/usr/bin/env bash
# test_age_interop.sh - lib/age (through tests/tools/agetool) against the real Debian `age`
# and `age-keygen` binaries, both directions: binary and armored files, payloads of 0, 1,
# 64 KiB-1, 64 KiB, 64 KiB+1, 128 KiB and several MiB of random bytes; keys made by either
# side used by the other; several recipients; wrong keys refused by both.
# Env: BUILD_DIR (agetool lives there). Exit 0 pass, 77 skip (reason on the last line).
set -u
BUILD_DIR=${BUILD_DIR:-build}
AGETOOL="$BUILD_DIR/agetool"

if ! command -v age >/dev/null 2>&1 || ! command -v age-keygen >/dev/null 2>&1; then
  echo "skip: the age and age-keygen binaries are not installed (Debian package 'age')"
  exit 77
fi
if [ ! -x "$AGETOOL" ]; then
  echo "skip: $AGETOOL not built (configure with -DVALS_TESTS=ON)"
  exit 77
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
checks=0

ok() { checks=$((checks + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); checks=$((checks + 1)); }

# Keys: one from age-keygen, one from agetool, plus a spare for "wrong key" checks.
age-keygen -o "$T/theirs.key" 2>/dev/null || { echo "age-keygen failed"; exit 1; }
"$AGETOOL" keygen -o "$T/ours.key" 2>/dev/null || { echo "agetool keygen failed"; exit 1; }
age-keygen -o "$T/other.key" 2>/dev/null
THEIRS=$(age-keygen -y "$T/theirs.key")
OURS=$(age-keygen -y "$T/ours.key")
OTHER=$(age-keygen -y "$T/other.key")

# Keys accepted across: each tool derives the same public key from each identity file.
[ "$("$AGETOOL" to-recipient "$T/theirs.key")" = "$THEIRS" ] && ok || bad "agetool reads age-keygen's identity file"
[ "$("$AGETOOL" to-recipient "$T/ours.key")" = "$OURS" ] && ok || bad "age-keygen -y reads our identity file"
grep -q "^# public key: $OURS\$" "$T/ours.key" && ok || bad "our identity file's public key comment"
grep -Eq '^# created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$' "$T/ours.key" \
  && ok || bad "our identity file's created comment is RFC 3339"
[ "$(stat -c %a "$T/ours.key")" = 600 ] && ok || bad "our identity file has mode 0600"
[ "$(wc -l <"$T/ours.key")" = 3 ] && ok || bad "our identity file has 3 lines"

# Payloads.
head -c 0 /dev/zero >"$T/p0"
printf 'x' >"$T/p1"
head -c 65535 /dev/urandom >"$T/p65535"
head -c 65536 /dev/urandom >"$T/p65536"
head -c 65537 /dev/urandom >"$T/p65537"
head -c 131072 /dev/urandom >"$T/p131072"
head -c $((5 * 1024 * 1024 + 12345)) /dev/urandom >"$T/pbig"
PAYLOADS="p0 p1 p65535 p65536 p65537 p131072 pbig"

for p in $PAYLOADS; do
  for armor in "" "-a"; do
    tag="$p${armor:+ armored}"
    # Ours -> theirs, to a key made by age-keygen and to one made by us.
    for who in theirs ours; do
      rc=$THEIRS; [ $who = ours ] && rc=$OURS
      rm -f "$T/enc" "$T/dec"
      if "$AGETOOL" encrypt -r "$rc" $armor -o "$T/enc" "$T/$p" &&
         age -d -i "$T/$who.key" "$T/enc" >"$T/dec" && cmp -s "$T/$p" "$T/dec"; then
        ok
      else
        bad "$tag: agetool encrypt -> age -d ($who key)"
      fi
      if [ -n "$armor" ]; then
        head -c 34 "$T/enc" | grep -q -- '-----BEGIN AGE ENCRYPTED FILE-----' && ok || bad "$tag: armor header"
      fi
      # Theirs -> ours.
      rm -f "$T/enc" "$T/dec"
      if age -e -r "$rc" $armor -o "$T/enc" "$T/$p" &&
         "$AGETOOL" decrypt -i "$T/$who.key" -o "$T/dec" "$T/enc" && cmp -s "$T/$p" "$T/dec"; then
        ok
      else
        bad "$tag: age -e -> agetool decrypt ($who key)"
      fi
    done
    # Our ciphertext is byte-for-byte what the format predicts (binary, one recipient).
    if [ -z "$armor" ]; then
      "$AGETOOL" encrypt -r "$THEIRS" -o "$T/enc" "$T/$p"
      n=$(stat -c %s "$T/$p"); chunks=$(( n == 0 ? 1 : (n + 65535) / 65536 ))
      [ "$(stat -c %s "$T/enc")" = $((168 + 16 + n + 16 * chunks)) ] && ok || bad "$tag: our file size"
    fi
  done
done

# Several recipients: everyone can open, a stranger cannot (with either tool).
for dir in ours theirs; do
  rm -f "$T/enc"
  if [ $dir = ours ]; then
    "$AGETOOL" encrypt -r "$THEIRS" -r "$OURS" -o "$T/enc" "$T/p65537"
  else
    age -e -r "$THEIRS" -r "$OURS" -o "$T/enc" "$T/p65537"
  fi
  for who in theirs ours; do
    age -d -i "$T/$who.key" "$T/enc" | cmp -s - "$T/p65537" && ok || bad "multi ($dir): age -d $who"
    "$AGETOOL" decrypt -i "$T/$who.key" "$T/enc" | cmp -s - "$T/p65537" && ok || bad "multi ($dir): agetool $who"
  done
  age -d -i "$T/other.key" "$T/enc" >/dev/null 2>&1 && bad "multi ($dir): age -d with a wrong key" || ok
  "$AGETOOL" decrypt -i "$T/other.key" -o "$T/dec" "$T/enc" 2>"$T/err" && bad "multi ($dir): agetool wrong key" || ok
  [ ! -e "$T/dec" ] && ok || bad "multi ($dir): failed decryption left an output file"
  grep -q "no identity matches" "$T/err" && ok || bad "multi ($dir): wrong-key message: $(cat "$T/err")"
  # Both identity files at once (several -i).
  "$AGETOOL" decrypt -i "$T/other.key" -i "$T/ours.key" "$T/enc" | cmp -s - "$T/p65537" && ok || bad "multi ($dir): two -i"
done

# An identity file with several keys, CRLF line ends and comments, as age reads them.
{ printf '# mixed\r\n'; grep -v '^#' "$T/other.key" | tr -d '\n'; printf '\r\n\r\n'; cat "$T/ours.key"; } >"$T/multi.key"
age -e -r "$OURS" -o "$T/enc" "$T/p1"
age -d -i "$T/multi.key" "$T/enc" | cmp -s - "$T/p1" && ok || bad "age reads the CRLF multi-key file"
"$AGETOOL" decrypt -i "$T/multi.key" "$T/enc" | cmp -s - "$T/p1" && ok || bad "agetool reads the CRLF multi-key file"

# Tampering: flip one byte in the last (second) chunk of an age-made file; we must refuse it.
age -e -r "$OURS" -o "$T/enc" "$T/p131072"
size=$(stat -c %s "$T/enc")
printf '\xff' | dd of="$T/enc" bs=1 seek=$((size - 100)) conv=notrunc status=none
"$AGETOOL" decrypt -i "$T/ours.key" -o "$T/dec" "$T/enc" 2>"$T/err" && bad "tampered file accepted" || ok
grep -q "chunk 1" "$T/err" && ok || bad "tamper message names the chunk: $(cat "$T/err")"

echo "age interop: $checks checks, $fails failed"
[ $fails -eq 0 ]
