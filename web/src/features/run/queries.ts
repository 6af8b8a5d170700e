/** The run page's queries (kept apart from the page so the route's data can start before the page's chunk loads). */
import { graphql } from '../../gql';

export const RunQuery = graphql(`
  query Run($id: ID!) {
    run(id: $id) {
      id
      name
      status
      params
      config
      tags
      notes
      startTime
      endTime
      duration
      metricNames
      createdBy {
        id
        name
        email
      }
      source {
        commit
        branch
        dirty
        entryPoint
        host
      }
      experiment {
        id
        name
        project {
          id
          name
        }
      }
      inputs {
        id
        label
        format
        dataset {
          id
          name
        }
      }
      producedModelVersions {
        id
        version
        aliases
        model {
          id
          name
        }
      }
    }
  }
`);

export const MetricSeriesQuery = graphql(`
  query MetricSeries($runId: ID!, $name: String!, $maxPoints: Int!, $fromStep: Float, $toStep: Float) {
    run(id: $runId) {
      id
      metricSeries(name: $name, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {
        name
        exact
        bucketWidth
        points {
          step
          value
          min
          max
        }
      }
    }
  }
`);
