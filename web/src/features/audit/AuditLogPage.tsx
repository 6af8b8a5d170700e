/**
 * The audit trail for a project's owners (admins: every project too),
 * newest first, 50 a page, narrowed by action (e.g. run.update).
 */
import { type FormEvent, useState } from 'react';
import { useQuery } from 'urql';
import { DataTable } from '../../components/DataTable';
import { Pager, useCursorPages } from '../../components/Pager';
import { QueryState } from '../../components/QueryState';
import { ErrorBox, formatTime } from '../../components/status';
import { graphql } from '../../gql';
import '../pages.css';

export const AuditProjectsDoc = graphql(`
  query AuditProjects {
    me {
      id
      isAdmin
    }
    projects(first: 100, orderBy: { field: NAME, direction: ASC }) {
      edges {
        node {
          id
          name
          myRole
        }
      }
    }
  }
`);

export const AuditLogDoc = graphql(`
  query AuditLog($filter: AuditLogFilter, $first: Int!, $after: String) {
    auditLog(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          occurredAt
          actorId
          actorKind
          action
          entityType
          entityId
          projectId
          summary
        }
      }
    }
  }
`);

const PAGE = 50;
const ALL = '';

/** Actions the registry records, offered as suggestions (any other is accepted). */
const COMMON_ACTIONS = [
  'apiKey.create',
  'apiKey.revoke',
  'dataset.create',
  'datasetVersion.commit',
  'datasetVersion.create',
  'datasetVersion.fail',
  'datasetVersion.finish',
  'experiment.create',
  'experiment.delete',
  'experiment.purge',
  'experiment.update',
  'model.register',
  'modelAlias.delete',
  'modelAlias.set',
  'modelVersion.create',
  'modelVersion.fromRun',
  'project.create',
  'project.update',
  'projectMember.add',
  'projectMember.remove',
  'projectMember.update',
  'promptAlias.delete',
  'promptAlias.set',
  'promptTemplate.create',
  'promptVersion.create',
  'run.delete',
  'run.finish',
  'run.purge',
  'run.start',
  'run.update',
];

export function AuditLogPage() {
  const [projects] = useQuery({ query: AuditProjectsDoc });
  const isAdmin = projects.data?.me?.isAdmin ?? false;
  const owned = projects.data?.projects.edges.map((e) => e.node).filter((p) => p.myRole === 'OWNER') ?? [];
  const [projectId, setProjectId] = useState<string | null>(null);
  const chosenProject = projectId ?? (isAdmin ? ALL : (owned[0]?.id ?? null));
  const [actionDraft, setActionDraft] = useState('');
  const [action, setAction] = useState('');
  const pages = useCursorPages(PAGE);
  const [log] = useQuery({
    query: AuditLogDoc,
    variables: {
      filter: { projectId: chosenProject || null, action: action || null },
      first: PAGE,
      after: pages.after,
    },
    pause: chosenProject === null,
    requestPolicy: 'cache-and-network',
  });
  const applyAction = (event: FormEvent) => {
    event.preventDefault();
    setAction(actionDraft.trim());
    pages.reset();
  };
  const projectNames = new Map(projects.data?.projects.edges.map((e) => [e.node.id, e.node.name]) ?? []);
  const allProjects = chosenProject === ALL;
  const connection = log.data?.auditLog;

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      {projects.error && <ErrorBox error={projects.error} />}
      {projects.data && !isAdmin && owned.length === 0 && (
        <p className="muted">The audit log is for project owners; you own no project.</p>
      )}
      {chosenProject !== null && (
        <form className="inline-form" onSubmit={applyAction} aria-label="Filter the audit log">
          <label>
            Project{' '}
            <select
              value={chosenProject}
              onChange={(e) => {
                setProjectId(e.target.value);
                pages.reset();
              }}
            >
              {isAdmin && <option value={ALL}>All projects</option>}
              {(isAdmin ? (projects.data?.projects.edges.map((e) => e.node) ?? []) : owned).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Action{' '}
            <input
              type="text"
              list="audit-actions"
              value={actionDraft}
              onChange={(e) => setActionDraft(e.target.value)}
              placeholder="e.g. run.update"
            />
          </label>
          <datalist id="audit-actions">
            {COMMON_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <button type="submit">Filter</button>
        </form>
      )}
      <QueryState result={log} />
      {connection && (
        <>
          <DataTable
            className="plain audit"
            caption={`Events ${pages.range(connection.edges.length, connection.totalCount)}`}
            rows={connection.edges.map((e) => e.node)}
            columns={[
              { header: 'When', cell: (n) => formatTime(n.occurredAt) },
              allProjects && {
                header: 'Project',
                cell: (n) => (n.projectId ? (projectNames.get(n.projectId) ?? n.projectId) : '—'),
              },
              {
                header: 'Actor',
                cell: (n) => (
                  <>
                    <span className="mono">{n.actorId}</span> <span className="muted">{n.actorKind}</span>
                  </>
                ),
              },
              { header: 'Action', cell: (n) => n.action, className: 'mono' },
              {
                header: 'Entity',
                cell: (n) => (
                  <>
                    {n.entityType} <span className="mono muted">{n.entityId}</span>
                  </>
                ),
              },
              { header: 'Change', cell: (n) => JSON.stringify(n.summary), className: 'mono summary' },
            ]}
          />
          <Pager pages={pages} pageInfo={connection.pageInfo} previousLabel="Newer" nextLabel="Older" />
        </>
      )}
    </section>
  );
}
