#!/bin/sh
# Takes the screenshots in data/screenshots/ from the real app: a local
# relay, three people made with sotto-cli who write to each other, and
# Sotto itself on Alice's profile, rendered under Xvfb in a private
# D-Bus session with an unlocked keyring.  Carol, whom Alice never wrote
# to, is a message request; Dana's conversation has a reply, reactions,
# an edited and a deleted message and a disappearing-message timer;
# Alice, Bob and Dana are also a group, where each of them writes; Erin
# sends a picture and files, one of which is downloading when its
# picture is taken; the last picture is taken after the relay has been
# stopped.
# Usage: build-aux/take-screenshots.sh [BUILD_DIR]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/build"}

if [ -z "${SOTTO_SCREENSHOT_SESSION:-}" ]; then
  ninja -C "$build" src/relay/sotto-relay src/cli/sotto-cli tools/take-screenshots
  export SOTTO_SCREENSHOT_SESSION=1
  exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" "$0" "$build"
fi

work=$(mktemp -d)
relay=""
cleanup() {
  [ -z "$relay" ] || kill "$relay" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The keyring a desktop session would have, unlocked with an empty password.
printf '\n' | gnome-keyring-daemon --unlock --components=secrets >/dev/null

"$build/src/relay/sotto-relay" --listen 127.0.0.1:0 --data-dir "$work/relay" \
  --registration open >"$work/relay.out" 2>"$work/relay.log" &
relay=$!
address=""
while [ -z "$address" ]; do
  sleep 0.1
  address=$(sed -n 's/^sotto-relay listening on //p' "$work/relay.out")
done

cli() {
  who=$1
  shift
  "$build/src/cli/sotto-cli" --profile "$work/$who" "$@"
}

for who in alice bob carol dana erin; do
  cli "$who" register --relay "http://$address" --username "$who" >/dev/null
done

cli carol send alice "Are we still on for the climbing gym on Saturday?" >/dev/null
cli bob send alice "Hi Alice! I moved to Sotto, this is my new account." >/dev/null
# Alice receives as the app does: Carol's first message is a request
# (Bob's is too, until Alice writes to him).
cli alice --message-requests receive --timeout 1 >/dev/null
cli alice send bob "Welcome! Shall we compare safety numbers when we meet on Thursday?" >/dev/null
cli bob receive --timeout 1 >/dev/null
cli bob send alice "Yes, let's. I'll bring the draft of the grant proposal too." >/dev/null
cli bob send alice "Nobody but you should read it before the deadline." >/dev/null
cli alice --message-requests receive --timeout 1 >/dev/null
cli alice verify bob "$(cli alice safety-number bob)" >/dev/null
cli alice send bob "Verified ✓ See you then!" >/dev/null
# Bob answers while Alice is away: the app shows it below "New Messages".
cli bob receive --timeout 1 >/dev/null
cli bob send alice "Perfect. I'll bring coffee too ☕" >/dev/null

# Dana and Alice reply, react, edit, delete for everyone and set a timer.
message_id() {
  sed -n 's/.*"id":"\([^"]*\)".*/\1/p'
}
cli alice send dana "Are you coming to the concert tonight?" >/dev/null
cli dana receive --timeout 1 >/dev/null
doors=$(cli dana --json send alice "Yes! Doors open at 7." | message_id)
plan=$(cli dana --json send alice "Here is the seating plan from last year" | message_id)
cli alice --message-requests receive --timeout 1 >/dev/null
reply=$(cli alice --json reply dana "$doors" "Perfect, let's meet at the entrance" | message_id)
cli alice react dana "$doors" "🎉" >/dev/null
arrival=$(cli alice --json send dana "I'll be there at 6:30" | message_id)
cli alice edit dana "$arrival" "I'll be there at 6:45" >/dev/null
cli dana receive --timeout 1 >/dev/null
cli dana react alice "$doors" "🎉" >/dev/null
cli dana react alice "$reply" "👍" >/dev/null
cli dana delete alice "$plan" >/dev/null
cli dana timer alice 3600 >/dev/null
cli alice --message-requests receive --timeout 1 >/dev/null

# A group of Alice, Bob and Dana, where each of them writes.
group=$(cli alice group create "Climbing crew" bob dana)
cli bob receive --timeout 1 >/dev/null
cli dana receive --timeout 1 >/dev/null
cli bob send-group "$group" "Who's in for the crag on Sunday?" >/dev/null
cli dana send-group "$group" "Me! I'll bring the rope." >/dev/null
cli dana send-group "$group" "Meet at the car park at 9?" >/dev/null
cli alice --message-requests receive --timeout 1 >/dev/null
cli alice send-group "$group" "Count me in, I'll drive." >/dev/null
cli bob receive --timeout 1 >/dev/null
cli bob send-group "$group" "Perfect, see you there!" >/dev/null
cli alice --message-requests receive --timeout 1 >/dev/null

# Erin and Alice share pictures and files.
cli alice send erin "Did you get home all right?" >/dev/null
cli erin receive --timeout 1 >/dev/null
convert -size 1200x800 gradient:'#62a0ea-#f9f06b' \
  -fill '#26a269' -draw 'polygon 0,800 0,560 260,420 520,600 760,380 1200,640 1200,800' \
  -fill '#1c71d8' -draw 'rectangle 0,700 1200,800' \
  -fill '#f6d32d' -draw 'circle 900,200 960,200' "$work/Lake Shore.png"
{ printf '%%PDF-1.4\n'; head -c 180000 /dev/urandom | base64; printf '%%%%EOF\n'; } >"$work/Itinerary.pdf"
head -c 90000000 /dev/urandom >"$work/Boat Trip.mp4"
cli erin send alice "The view from the lake shore" --attach "$work/Lake Shore.png" >/dev/null
cli erin send alice "And the plan for next time" --attach "$work/Itinerary.pdf" --attach "$work/Boat Trip.mp4" >/dev/null
# The app receives these itself: the picture comes down as it arrives.

mkdir -p "$top/data/screenshots"
export GSETTINGS_SCHEMA_DIR="$build/data"
"$build/tools/take-screenshots" "$work/alice" bob carol dana "$relay" "$top/data/screenshots" erin
