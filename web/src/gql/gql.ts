/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      isAdmin\n    }\n  }\n": typeof types.MeDocument,
    "\n  query Project($id: ID!) {\n    project(id: $id) {\n      id\n      name\n      description\n    }\n    experiments(filter: { projectId: $id }, first: 100, orderBy: { field: UPDATED_AT, direction: DESC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          status\n          runCount\n          updatedAt\n        }\n      }\n    }\n  }\n": typeof types.ProjectDocument,
    "\n  query Projects($after: String) {\n    projects(first: 100, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          myRole\n        }\n      }\n    }\n  }\n": typeof types.ProjectsDocument,
    "\n  query MetricSeries($runId: ID!, $name: String!, $maxPoints: Int!, $fromStep: Float, $toStep: Float) {\n    run(id: $runId) {\n      id\n      metricSeries(name: $name, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {\n        name\n        exact\n        bucketWidth\n        points {\n          step\n          value\n          min\n          max\n        }\n      }\n    }\n  }\n": typeof types.MetricSeriesDocument,
    "\n  query Run($id: ID!) {\n    run(id: $id) {\n      id\n      name\n      status\n      params\n      config\n      tags\n      notes\n      startTime\n      endTime\n      duration\n      metricNames\n      createdBy {\n        id\n        name\n        email\n      }\n      source {\n        commit\n        branch\n        dirty\n        entryPoint\n        host\n      }\n      experiment {\n        id\n        name\n        project {\n          id\n          name\n        }\n      }\n      inputs {\n        id\n        label\n        format\n        dataset {\n          id\n          name\n        }\n      }\n      producedModelVersions {\n        id\n        version\n        aliases\n        model {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.RunDocument,
    "\n  subscription RunMetricStream($runId: ID!) {\n    metricStream(runId: $runId) {\n      name\n      step\n      value\n      skipped\n    }\n  }\n": typeof types.RunMetricStreamDocument,
    "\n  query ExperimentHeader($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n      description\n      runCount\n      metricNames\n      project {\n        id\n        name\n      }\n    }\n  }\n": typeof types.ExperimentHeaderDocument,
    "\n  query RunsPage($experimentId: ID!, $search: String, $first: Int!, $after: String, $orderBy: RunOrder) {\n    experiment(id: $experimentId) {\n      id\n      runs(search: $search, first: $first, after: $after, orderBy: $orderBy) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            name\n            status\n            startTime\n            duration\n            params\n            config\n            tags\n            createdBy {\n              id\n              name\n              email\n            }\n            metrics {\n              name\n              last\n              min\n              max\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.RunsPageDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      isAdmin\n    }\n  }\n": types.MeDocument,
    "\n  query Project($id: ID!) {\n    project(id: $id) {\n      id\n      name\n      description\n    }\n    experiments(filter: { projectId: $id }, first: 100, orderBy: { field: UPDATED_AT, direction: DESC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          status\n          runCount\n          updatedAt\n        }\n      }\n    }\n  }\n": types.ProjectDocument,
    "\n  query Projects($after: String) {\n    projects(first: 100, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          myRole\n        }\n      }\n    }\n  }\n": types.ProjectsDocument,
    "\n  query MetricSeries($runId: ID!, $name: String!, $maxPoints: Int!, $fromStep: Float, $toStep: Float) {\n    run(id: $runId) {\n      id\n      metricSeries(name: $name, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {\n        name\n        exact\n        bucketWidth\n        points {\n          step\n          value\n          min\n          max\n        }\n      }\n    }\n  }\n": types.MetricSeriesDocument,
    "\n  query Run($id: ID!) {\n    run(id: $id) {\n      id\n      name\n      status\n      params\n      config\n      tags\n      notes\n      startTime\n      endTime\n      duration\n      metricNames\n      createdBy {\n        id\n        name\n        email\n      }\n      source {\n        commit\n        branch\n        dirty\n        entryPoint\n        host\n      }\n      experiment {\n        id\n        name\n        project {\n          id\n          name\n        }\n      }\n      inputs {\n        id\n        label\n        format\n        dataset {\n          id\n          name\n        }\n      }\n      producedModelVersions {\n        id\n        version\n        aliases\n        model {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.RunDocument,
    "\n  subscription RunMetricStream($runId: ID!) {\n    metricStream(runId: $runId) {\n      name\n      step\n      value\n      skipped\n    }\n  }\n": types.RunMetricStreamDocument,
    "\n  query ExperimentHeader($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n      description\n      runCount\n      metricNames\n      project {\n        id\n        name\n      }\n    }\n  }\n": types.ExperimentHeaderDocument,
    "\n  query RunsPage($experimentId: ID!, $search: String, $first: Int!, $after: String, $orderBy: RunOrder) {\n    experiment(id: $experimentId) {\n      id\n      runs(search: $search, first: $first, after: $after, orderBy: $orderBy) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            name\n            status\n            startTime\n            duration\n            params\n            config\n            tags\n            createdBy {\n              id\n              name\n              email\n            }\n            metrics {\n              name\n              last\n              min\n              max\n            }\n          }\n        }\n      }\n    }\n  }\n": types.RunsPageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      email\n      name\n      isAdmin\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      email\n      name\n      isAdmin\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Project($id: ID!) {\n    project(id: $id) {\n      id\n      name\n      description\n    }\n    experiments(filter: { projectId: $id }, first: 100, orderBy: { field: UPDATED_AT, direction: DESC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          status\n          runCount\n          updatedAt\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Project($id: ID!) {\n    project(id: $id) {\n      id\n      name\n      description\n    }\n    experiments(filter: { projectId: $id }, first: 100, orderBy: { field: UPDATED_AT, direction: DESC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          status\n          runCount\n          updatedAt\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Projects($after: String) {\n    projects(first: 100, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          myRole\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Projects($after: String) {\n    projects(first: 100, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          description\n          myRole\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MetricSeries($runId: ID!, $name: String!, $maxPoints: Int!, $fromStep: Float, $toStep: Float) {\n    run(id: $runId) {\n      id\n      metricSeries(name: $name, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {\n        name\n        exact\n        bucketWidth\n        points {\n          step\n          value\n          min\n          max\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MetricSeries($runId: ID!, $name: String!, $maxPoints: Int!, $fromStep: Float, $toStep: Float) {\n    run(id: $runId) {\n      id\n      metricSeries(name: $name, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {\n        name\n        exact\n        bucketWidth\n        points {\n          step\n          value\n          min\n          max\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Run($id: ID!) {\n    run(id: $id) {\n      id\n      name\n      status\n      params\n      config\n      tags\n      notes\n      startTime\n      endTime\n      duration\n      metricNames\n      createdBy {\n        id\n        name\n        email\n      }\n      source {\n        commit\n        branch\n        dirty\n        entryPoint\n        host\n      }\n      experiment {\n        id\n        name\n        project {\n          id\n          name\n        }\n      }\n      inputs {\n        id\n        label\n        format\n        dataset {\n          id\n          name\n        }\n      }\n      producedModelVersions {\n        id\n        version\n        aliases\n        model {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Run($id: ID!) {\n    run(id: $id) {\n      id\n      name\n      status\n      params\n      config\n      tags\n      notes\n      startTime\n      endTime\n      duration\n      metricNames\n      createdBy {\n        id\n        name\n        email\n      }\n      source {\n        commit\n        branch\n        dirty\n        entryPoint\n        host\n      }\n      experiment {\n        id\n        name\n        project {\n          id\n          name\n        }\n      }\n      inputs {\n        id\n        label\n        format\n        dataset {\n          id\n          name\n        }\n      }\n      producedModelVersions {\n        id\n        version\n        aliases\n        model {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunMetricStream($runId: ID!) {\n    metricStream(runId: $runId) {\n      name\n      step\n      value\n      skipped\n    }\n  }\n"): (typeof documents)["\n  subscription RunMetricStream($runId: ID!) {\n    metricStream(runId: $runId) {\n      name\n      step\n      value\n      skipped\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExperimentHeader($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n      description\n      runCount\n      metricNames\n      project {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query ExperimentHeader($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n      description\n      runCount\n      metricNames\n      project {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RunsPage($experimentId: ID!, $search: String, $first: Int!, $after: String, $orderBy: RunOrder) {\n    experiment(id: $experimentId) {\n      id\n      runs(search: $search, first: $first, after: $after, orderBy: $orderBy) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            name\n            status\n            startTime\n            duration\n            params\n            config\n            tags\n            createdBy {\n              id\n              name\n              email\n            }\n            metrics {\n              name\n              last\n              min\n              max\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query RunsPage($experimentId: ID!, $search: String, $first: Int!, $after: String, $orderBy: RunOrder) {\n    experiment(id: $experimentId) {\n      id\n      runs(search: $search, first: $first, after: $after, orderBy: $orderBy) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            name\n            status\n            startTime\n            duration\n            params\n            config\n            tags\n            createdBy {\n              id\n              name\n              email\n            }\n            metrics {\n              name\n              last\n              min\n              max\n            }\n          }\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;