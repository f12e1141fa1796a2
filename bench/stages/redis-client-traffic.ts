// What one Redis connection of this process sends, counted on the client: commands (a script call
// is one) and socket writes (round trips: ioredis's auto-pipelining writes a tick's commands at
// once). The shared Redis server's own counters mix in every other client, so a stage that runs a
// service in-process counts its connection here, by the connection name the service gives it.
import Redis from 'ioredis';

export interface ClientTraffic {
  commands: number;
  roundTrips: number;
  byCommand: Record<string, number>;
}

type Counted = { stream?: { write: (...args: unknown[]) => boolean; __counted?: boolean } };

/** Counts the traffic of connections named `connectionName` until the returned stop() is called. */
export function countClientTraffic(connectionName: string): () => ClientTraffic {
  const traffic: ClientTraffic = { commands: 0, roundTrips: 0, byCommand: {} };
  const proto = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const original = proto.sendCommand;
  let active = true;
  proto.sendCommand = function (this: Redis & Counted, ...args: unknown[]) {
    if (active && this.options.connectionName === connectionName) {
      const name = String((args[0] as { name?: string }).name ?? '?');
      traffic.commands += 1;
      traffic.byCommand[name] = (traffic.byCommand[name] ?? 0) + 1;
      const stream = this.stream;
      if (stream && !stream.__counted) {
        stream.__counted = true;
        const write = stream.write.bind(stream);
        stream.write = (...w: unknown[]) => {
          if (active) traffic.roundTrips += 1;
          return write(...w);
        };
      }
    }
    return original.apply(this, args);
  };
  return () => {
    active = false;
    proto.sendCommand = original;
    return traffic;
  };
}
