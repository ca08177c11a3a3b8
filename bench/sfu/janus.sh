#!/usr/bin/env bash
# Writes a private Janus configuration (VideoRoom + HTTP transport only, ICE-lite, candidates inside the SDP) into $1
# and starts Janus from it in the background; prints its PID. Janus skips loopback, so it binds the
# machine's own interface ($2, e.g. eth0); that address is routed through lo, so media stays on the host.
set -euo pipefail
DIR="$1" IFACE="$2"
mkdir -p "$DIR"
cat > "$DIR/janus.jcfg" <<CFG
general: { configs_folder = "$DIR", plugins_folder = "/usr/lib/x86_64-linux-gnu/janus/plugins",
           transports_folder = "/usr/lib/x86_64-linux-gnu/janus/transports", events_folder = "/nonexistent",
           loggers_folder = "/nonexistent", debug_level = 3, admin_secret = "bench" }
certificates: { }
media: { rtp_port_range = "20000-40000" }
nat: { ice_lite = true, full_trickle = false, ice_enforce_list = "$IFACE", nice_debug = false }
plugins: { disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so" }
transports: { disable = "libjanus_websockets.so,libjanus_pfunix.so,libjanus_mqtt.so,libjanus_rabbitmq.so,libjanus_nanomsg.so" }
CFG
cat > "$DIR/janus.transport.http.jcfg" <<CFG
general: { json = "compact", base_path = "/janus", http = true, port = 8088, interface = "lo", https = false }
admin: { admin_base_path = "/admin", admin_http = true, admin_port = 7088, admin_interface = "lo", admin_https = false }
cors: { }
CFG
cat > "$DIR/janus.plugin.videoroom.jcfg" <<CFG
general: { }
CFG
janus -F "$DIR" -C "$DIR/janus.jcfg" -o -L "$DIR/janus.log" -N > "$DIR/stdout.log" 2>&1 &
echo $!
