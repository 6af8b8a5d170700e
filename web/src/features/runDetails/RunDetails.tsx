/**
 * The run page's sections other than charts: notes (Markdown, editable),
 * tags (add and remove through updateRun), output files with sizes and
 * downloads, and lineage (the dataset versions read, the model versions
 * produced), each a component the run page mounts with what it already
 * holds (the files ask for themselves).
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { paths } from '../../app/paths';
import { FileTable } from '../../components/FileTable';
import { Markdown } from '../../components/markdown';
import { ErrorBox, Loading } from '../../components/status';
import { Tags } from '../../components/Tags';
import { graphql } from '../../gql';
import '../pages.css';

export const RunOutputsDoc = graphql(`
  query RunOutputs($id: ID!) {
    run(id: $id) {
      id
      outputs(first: 200) {
        ...FileConnectionFields
      }
    }
  }
`);

export const UpdateRunNotesDoc = graphql(`
  mutation UpdateRunNotes($id: ID!, $notes: String!) {
    updateRun(id: $id, input: { notes: $notes }) {
      id
      notes
    }
  }
`);

export const UpdateRunTagsDoc = graphql(`
  mutation UpdateRunTags($id: ID!, $add: JSONObject, $remove: [String!]) {
    updateRun(id: $id, input: { addTags: $add, removeTags: $remove }) {
      id
      tags
    }
  }
`);

export interface LineageInput {
  id: string;
  label: string;
  format: string;
  status?: string;
  dataset: { id: string; name: string };
}

export interface LineageOutput {
  id: string;
  version: number;
  aliases: string[];
  model: { id: string; name: string };
}

export function RunNotes({ runId, notes }: { runId: string; notes: string }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(notes);
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  // Leaving the editor puts the focus back on the button that opened it.
  useEffect(() => {
    if (wasEditing.current && !editing) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);
  const [saved, save] = useMutation(UpdateRunNotesDoc);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await save({ id: runId, notes: draft });
    if (!result.error) setEditing(false);
  };
  return (
    <section aria-labelledby="notes-title">
      <h2 id="notes-title">Notes</h2>
      {editing ? (
        <form onSubmit={submit}>
          <label htmlFor="notes-editor" className="visually-hidden">
            Notes (Markdown)
          </label>
          <textarea
            id="notes-editor"
            value={draft}
            rows={8}
            maxLength={50_000}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setEditing(false);
            }}
            // biome-ignore lint/a11y/noAutofocus: the editor opens on the user's request
            autoFocus
          />
          {saved.error && <ErrorBox error={saved.error} />}
          <div className="actions">
            <button type="submit" className="primary" disabled={saved.fetching}>
              Save notes
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <span className="muted">Markdown: headings, lists, `code`, **bold**, *italics*, [links](https://…)</span>
          </div>
        </form>
      ) : (
        <>
          {notes ? <Markdown source={notes} /> : <p className="muted">No notes yet.</p>}
          <button
            ref={editButton}
            type="button"
            onClick={() => {
              setDraft(notes);
              setEditing(true);
            }}
          >
            Edit notes
          </button>
        </>
      )}
    </section>
  );
}

export function RunTags({ runId, tags }: { runId: string; tags: Record<string, string> }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const keyInput = useRef<HTMLInputElement>(null);
  const [changed, change] = useMutation(UpdateRunTagsDoc);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!key.trim()) return;
    const result = await change({ id: runId, add: { [key.trim()]: value } });
    if (!result.error) {
      setKey('');
      setValue('');
      keyInput.current?.focus();
    }
  };
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1));
  return (
    <section aria-labelledby="tags-title">
      <h2 id="tags-title">Tags</h2>
      {entries.length === 0 ? (
        <p className="muted">No tags.</p>
      ) : (
        <ul className="tag-list" aria-label="Tags">
          {entries.map(([k, v]) => (
            <li key={k} className="tag">
              <span>
                {k}
                {v !== '' && `: ${v}`}
              </span>
              <button
                type="button"
                className="link"
                aria-label={`Remove tag ${k}`}
                disabled={changed.fetching}
                onClick={async () => {
                  await change({ id: runId, remove: [k] });
                  keyInput.current?.focus();
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={add} aria-label="Add a tag">
        <label>
          Tag <input ref={keyInput} type="text" value={key} onChange={(e) => setKey(e.target.value)} maxLength={256} required />
        </label>
        <label>
          Value <input type="text" value={value} onChange={(e) => setValue(e.target.value)} maxLength={256} />
        </label>
        <button type="submit" disabled={changed.fetching || !key.trim()}>
          Add tag
        </button>
      </form>
      {changed.error && <ErrorBox error={changed.error} />}
    </section>
  );
}

/** The run's output files (asked when shown, so the presigned links are fresh). */
export function RunFiles({ runId }: { runId: string }) {
  const [result] = useQuery({ query: RunOutputsDoc, variables: { id: runId }, requestPolicy: 'cache-and-network' });
  const outputs = result.data?.run.outputs;
  return (
    <section aria-labelledby="files-title" className="wide">
      <h2 id="files-title">Files</h2>
      {result.error && <ErrorBox error={result.error} />}
      {!result.data && !result.error && <Loading />}
      {result.data &&
        (outputs ? (
          <FileTable caption="Output files" files={outputs.edges.map((e) => e.node)} total={outputs.totalCount} />
        ) : (
          <p className="muted">Files unavailable.</p>
        ))}
    </section>
  );
}

export function RunLineage({ inputs, produced }: { inputs: readonly LineageInput[]; produced: readonly LineageOutput[] }) {
  return (
    <section aria-labelledby="lineage-title">
      <h2 id="lineage-title">Lineage</h2>
      <h3>Input datasets</h3>
      {inputs.length === 0 ? (
        <p className="muted">No dataset versions recorded.</p>
      ) : (
        <ul>
          {inputs.map((v) => (
            <li key={v.id}>
              <Link href={paths.dataset(v.dataset.id)}>{v.dataset.name}</Link> <span className="mono">{v.label}</span>{' '}
              <span className="muted">
                {v.format}
                {v.status && `, ${v.status}`}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3>Produced models</h3>
      {produced.length === 0 ? (
        <p className="muted">No model version came from this run.</p>
      ) : (
        <ul>
          {produced.map((v) => (
            <li key={v.id}>
              <Link href={paths.model(v.model.id)}>{v.model.name}</Link> version {v.version}
              <Tags names={v.aliases} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
