import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { childrenOf, parseArtifactPath, Slicer } from './artifacts';
import { mlflowCodeOf } from './errors';
import { experimentFilterOf } from './experiments';
import { splitExperimentName } from './mapping';
import { bearerOf } from './requests';
import { runFilterOf, runOrderOf } from './runs';

describe('MLflow mapping', () => {
  it('reads <project>/<name> experiment names, plain names in the default project', () => {
    expect(splitExperimentName('vision/resnet/sweep')).toEqual({ project: 'vision', name: 'resnet/sweep' });
    expect(splitExperimentName('baseline')).toEqual({ project: 'mlflow', name: 'baseline' });
    expect(splitExperimentName('/Users/ada')).toEqual({ project: 'mlflow', name: '/Users/ada' });
  });

  it("maps our error codes to MLflow's", () => {
    expect(mlflowCodeOf('NOT_FOUND')).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(mlflowCodeOf('BAD_USER_INPUT')).toBe('INVALID_PARAMETER_VALUE');
    expect(mlflowCodeOf('CONFLICT', 'project p already has an experiment named e')).toBe('RESOURCE_ALREADY_EXISTS');
    expect(mlflowCodeOf('CONFLICT', 'run r already logged param "lr" as "0.1"')).toBe('INVALID_PARAMETER_VALUE');
    expect(mlflowCodeOf('CONFLICT', 'run r is COMPLETED: only a RUNNING run can be finished')).toBe('INVALID_STATE');
    expect(mlflowCodeOf('FORBIDDEN')).toBe('PERMISSION_DENIED');
    expect(mlflowCodeOf('INTERNAL')).toBe('INTERNAL_ERROR');
  });

  it('turns search-runs fields into our run search and order', () => {
    expect(runFilterOf("attributes.status = 'FINISHED'", ['e1', 'e2'], 'ACTIVE_ONLY')).toBe(
      "(attributes.status = 'COMPLETED') AND experiment_id IN ('e1', 'e2') AND tags.`mlflow.lifecycleStage` IS NULL",
    );
    expect(runFilterOf(undefined, [], 'ALL')).toBe('');
    expect(runOrderOf(['metrics.`val loss` DESC'])).toEqual({ metric: { name: 'val loss' }, direction: 'DESC' });
    expect(runOrderOf(['attributes.start_time'])).toEqual({ field: 'START_TIME', direction: 'ASC' });
    expect(runOrderOf([])).toEqual({ field: 'START_TIME', direction: 'DESC' });
    expect(() => runOrderOf(['params.lr'])).toThrow(/order_by/);
  });

  it('reads search-experiments filters', () => {
    expect(experimentFilterOf("name LIKE '%bert%' AND tags.team = 'nlp'")).toEqual({ nameSearch: 'bert', tags: { team: 'nlp' } });
    expect(experimentFilterOf("name = 'x'")).toEqual({ nameSearch: 'x', nameEquals: 'x' });
    expect(() => experimentFilterOf('creation_time > 5')).toThrow(/Unsupported/);
  });

  it('takes the password of Basic credentials as the API key', () => {
    expect(bearerOf(`Basic ${Buffer.from('ada:lab_key').toString('base64')}`)).toBe('Bearer lab_key');
    expect(bearerOf('Bearer lab_key')).toBe('Bearer lab_key');
  });

  it('lists the direct children of an artifact folder', () => {
    const files = [
      { name: 'a.txt', sizeBytes: 1 },
      { name: 'model/MLmodel', sizeBytes: 2 },
      { name: 'model/data/w.bin', sizeBytes: 3 },
    ];
    expect(childrenOf(files, '')).toEqual([
      { path: 'a.txt', is_dir: false, file_size: 1 },
      { path: 'model', is_dir: true },
    ]);
    expect(childrenOf(files, 'model')).toEqual([
      { path: 'data', is_dir: true },
      { path: 'MLmodel', is_dir: false, file_size: 2 },
    ]);
    expect(parseArtifactPath('e/r/artifacts/model/MLmodel')).toEqual({ experimentId: 'e', runId: 'r', name: 'model/MLmodel' });
    expect(() => parseArtifactPath('e/r')).toThrow(/Artifact paths/);
  });

  it('slices a stream into parts without joining its chunks', async () => {
    const source = Readable.from([Buffer.from('abcd'), Buffer.from('efghij'), Buffer.from('k')]);
    const slicer = new Slicer(source);
    const read = async (size: number) => Buffer.from(await new Response(slicer.slice(size)).arrayBuffer()).toString();
    expect(await read(3)).toBe('abc');
    expect(await read(5)).toBe('defgh');
    expect(await read(3)).toBe('ijk');
  });
});
