/** The SDL of what a run carries beyond its start: its source, its changes, its order by a metric. */
export const runSdl = /* GraphQL */ `
  "Where a run's code came from: the git checkout and the machine it ran on; each part null when not given."
  type RunSource {
    "The git commit: 7 to 64 lowercase hexadecimal digits."
    commit: String
    branch: String
    "Whether the working tree had uncommitted changes."
    dirty: Boolean
    "What was run (a script, a module, a command line)."
    entryPoint: String
    host: String
  }

  input RunSourceInput {
    "A git commit SHA: 7 to 64 hexadecimal digits (stored lowercase)."
    commit: String
    "A git branch name (as git check-ref-format accepts it), at most 255 characters."
    branch: String
    dirty: Boolean
    "At most 1,024 characters, no control characters."
    entryPoint: String
    "A host name: letters, digits, '.', '-' and '_', at most 253 characters."
    host: String
  }

  "Fields left out stay as they are."
  input UpdateRunInput {
    name: String
    "Markdown, at most 50,000 characters; replaces the notes (\\"\\" clears them)."
    notes: String
    "Tags to set: added, or replacing a tag's value (a run holds at most 100)."
    addTags: JSONObject
    "Tag keys to remove (absent ones are ignored)."
    removeTags: [String!]
    """
    Params to add (strings; numbers and booleans stored as text). A key already
    logged with another value is CONFLICT; with the same value, nothing.
    """
    addParams: JSONObject
    """
    Dataset versions the run read, added to its lineage (Run.inputs): each must
    be in the run's project (else NOT_FOUND); one linked already is nothing; a
    run reads at most 1,000 in all.
    """
    addInputs: [ID!]
    "Only along the steps documented on RunStatus."
    status: RunStatus
  }

  "How a metric's points become one value per run."
  enum MetricAggregate {
    "The value at the largest step."
    LAST
    MIN
    MAX
  }

  "A metric to order runs by."
  input RunMetricOrder {
    "The metric's name as logged (e.g. val_loss)."
    name: String!
    aggregate: MetricAggregate = LAST
  }
`;
