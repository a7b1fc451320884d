package catalog

// ownSpecs are gongsync's own actions, written by hand in the same shape as the
// generated entries and listed beside them; their names are dotted ("calls.refresh")
// so they can never clash with one of Gong's operationIds.
var ownSpecs []*Spec
