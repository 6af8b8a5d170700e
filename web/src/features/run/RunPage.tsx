/** One run: charts, params, config, tags, source, lineage. */
import { useParams } from 'wouter';

export function RunPage() {
  const { runId = '' } = useParams<{ runId: string }>();
  return <h1>Run {runId}</h1>;
}
