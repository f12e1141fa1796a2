// Topic names of one bench run's private resolver pipeline, so runs never touch the real topics.
export function resolverBenchTopics(prefix: string) {
  const topic = (what: string) => `${prefix}.${what}`;
  return {
    input: topic('raw'),
    dlq: topic('dlq'),
    outputs: {
      resolved: topic('resolved'),
      changes: topic('changes'),
      profiles: topic('profiles'),
      merges: topic('merges'),
      warnings: topic('warnings'),
    },
  };
}
