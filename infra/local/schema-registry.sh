# shellcheck shell=bash disable=SC2034 # sourced by stack.sh, which reads CMD
# Schema registry: Apicurio Registry 3.0.9, whose Confluent-compatible API is served at
# http://127.0.0.1:<port>/apis/ccompat/v7.
#
# Of the 3.x line, Maven Central has only 3.0.9, 3.3.2 and 3.3.3; 3.3 needs Java 21, 3.0.9 runs
# on Java 17. It is fetched with maven-dependency-plugin 2.8 because 3.x of the plugin reads the
# artifact's POM, whose parent (io.apicurio:apicurio-registry:3.0.9) is missing from Central.
REGISTRY_VERSION=3.0.9
REGISTRY_PORT="${CDP_LOCAL_REGISTRY_PORT:-8081}"
REGISTRY_HOME="$TOOLS/apicurio-registry-$REGISTRY_VERSION"

schema_registry_ports() { echo "$REGISTRY_PORT CDP_LOCAL_REGISTRY_PORT"; }

schema_registry_install() {
  need_java
  [ -f "$REGISTRY_HOME/.complete" ] && return
  need_mvn
  echo "stack: installing apicurio-registry $REGISTRY_VERSION from Maven Central..."
  local tmp
  rm -rf "$REGISTRY_HOME" "$TOOLS"/.apicurio.*
  mkdir -p "$TOOLS"
  tmp="$(mktemp -d "$TOOLS/.apicurio.XXXXXX")"
  # Run outside the repo so Maven uses its standalone POM, not one it finds in the cwd.
  (cd "$tmp" && quietly mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:2.8:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all" -DoutputDirectory="$tmp")
  mkdir -p "$tmp/app"
  tar -xzf "$tmp/apicurio-registry-app-$REGISTRY_VERSION-all.tar.gz" -C "$tmp/app"
  mv "$tmp/app" "$REGISTRY_HOME"
  rm -rf "$tmp"
  touch "$REGISTRY_HOME/.complete"
}

schema_registry_prepare() { :; }

# Storage is a file-backed H2 database in the data dir (the default is in-memory).
# The pool defaults (20 connections) are sized for production.
schema_registry_command() {
  CMD=("$JAVA" -Xmx384m -Djava.awt.headless=true
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT"
    -Dquarkus.http.access-log.enabled=false
    -Dapicurio.datasource.url="jdbc:h2:file:$DATA/schema-registry/registry"
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2
    -Dapicurio.datasource.jdbc.max-size=10
    -jar "$REGISTRY_HOME/apicurio-registry-app-$REGISTRY_VERSION-runner.jar")
}
