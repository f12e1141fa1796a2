# shellcheck shell=bash disable=SC2034 # sourced by stack.sh, which reads CMD
# ClickHouse from Debian's clickhouse-server package (18.16 on bookworm).
# It runs from a config written into our data dir, so nothing under /etc or /var/lib is used.
CLICKHOUSE_HTTP_PORT="${CDP_LOCAL_CLICKHOUSE_HTTP_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${CDP_LOCAL_CLICKHOUSE_TCP_PORT:-9000}"

clickhouse_ports() {
  echo "$CLICKHOUSE_HTTP_PORT CDP_LOCAL_CLICKHOUSE_HTTP_PORT"
  echo "$CLICKHOUSE_TCP_PORT CDP_LOCAL_CLICKHOUSE_TCP_PORT"
}

clickhouse_install() {
  command -v clickhouse-server >/dev/null 2>&1 && command -v clickhouse-client >/dev/null 2>&1 && return
  echo "stack: installing clickhouse-server and clickhouse-client from Debian packages..."
  apt_install clickhouse-server clickhouse-client
  # The package may start a system server on 8123/9000/9009; stop it so ours gets the ports.
  service clickhouse-server stop >/dev/null 2>&1 || true
}

# Logs go to stdout, which stack.sh appends to the service log, at warning level because
# information logs every query. No interserver_http_port (9009 by default): it only serves
# replication, which a single node does not do. Caches are sized for a laptop (defaults: 5-8 GiB).
clickhouse_prepare() {
  local dir="$DATA/clickhouse"
  mkdir -p "$dir/etc" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  cat >"$dir/etc/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <console>1</console>
        <level>warning</level>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$CLICKHOUSE_HTTP_PORT</http_port>
    <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>
    <path>$dir/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>536870912</mark_cache_size>
    <mlock_executable>false</mlock_executable>
</yandex>
XML
  cat >"$dir/etc/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
}

clickhouse_command() {
  CMD=(clickhouse-server --config-file="$DATA/clickhouse/etc/config.xml")
}
