# shellcheck shell=bash disable=SC2034 # sourced by stack.sh, which reads CMD
# Kafka: a single KRaft node that is both broker and controller, run from Maven Central jars.
KAFKA_VERSION=3.9.1
KAFKA_PORT="${CDP_LOCAL_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${CDP_LOCAL_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_LIBS="$TOOLS/kafka-$KAFKA_VERSION/libs"

kafka_ports() {
  echo "$KAFKA_PORT CDP_LOCAL_KAFKA_PORT"
  echo "$KAFKA_CONTROLLER_PORT CDP_LOCAL_KAFKA_CONTROLLER_PORT"
}

kafka_install() {
  need_java
  [ -f "$KAFKA_LIBS/.complete" ] && return
  need_mvn
  echo "stack: installing kafka $KAFKA_VERSION from Maven Central..."
  rm -rf "$KAFKA_LIBS"
  quietly mvn -q -B -f "$HERE/kafka-pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
}

kafka_prepare() {
  local dir="$DATA/kafka" cluster_id
  # Rewritten on every start so port changes take effect; the topics live in log/.
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/log
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  # Format once: the cluster id then lives in log/meta.properties and must not change.
  if [ ! -f "$dir/log/meta.properties" ]; then
    cluster_id="$("$JAVA" -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$HERE/log4j.properties" \
      kafka.tools.StorageTool random-uuid | tail -n 1)"
    "$JAVA" -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$HERE/log4j.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >>"$LOGS/kafka.log" 2>&1 ||
      die 4 "stack: kafka storage format failed; see $LOGS/kafka.log"
  fi
}

kafka_command() {
  CMD=("$JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dlog4j.configuration="file:$HERE/log4j.properties"
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$DATA/kafka/server.properties")
}
