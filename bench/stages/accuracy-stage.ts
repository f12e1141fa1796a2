// Identity accuracy of one run: the ground-truth file against the Redis index it produced.
import { computePairwiseAccuracyFromStream, type AccuracyReport } from '../accuracy/pairwise-accuracy';
import { readTruth } from '../population/ground-truth';

export type AccuracyResult = AccuracyReport;

export function measureAccuracy(
  truthFile: string,
  index: ReadonlyMap<string, string>,
): Promise<AccuracyResult> {
  return computePairwiseAccuracyFromStream(readTruth(truthFile), index);
}
