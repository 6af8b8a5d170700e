/** An experiment's runs table. */
import { useParams } from 'wouter';

export function ExperimentRunsPage() {
  const { experimentId = '' } = useParams<{ experimentId: string }>();
  return <h1>Runs of {experimentId}</h1>;
}
