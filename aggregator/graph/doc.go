// Package graph is the aggregator's identity graph: nodes are the anonymous
// identifiers sensors saw (an IMSI, a card token, a MAC address…), links say
// why two identifiers belong to the same person, and the connected clusters
// of identifiers are the profiles.
//
// Every link keeps its evidence: what kind (the same event, two joined
// records, or repeated co-occurrence in space and time), how strong, how many
// observations, a sample of the events behind it and one human sentence, so
// that every merge can be explained.
//
// A cluster is a hypothesis, not a fact: the best guess that its
// identifiers belong to one person given the links seen so far. When the
// linker finds that a link was wrong (a card paying at a shop while the
// phone it was linked to is kilometres away in the same minute), Unlink
// removes it, and a cluster that is no longer connected through its
// remaining links splits into one cluster per connected component. Path
// tells which links hold two identifiers together.
//
// Clusters are kept with a union-find (union by size, path compression on
// writes only); a split rebuilds only the cluster it touches. A cluster is
// named by its smallest member (kind, then value), so that names do not
// depend on the order links arrived in or on the splits along the way: a
// component that keeps that member keeps the name. Save and Load write and
// read a compact gob snapshot; Save's output is deterministic.
//
// A Graph is not safe for concurrent writes; its read methods do not modify
// it, so any number of readers may share it while no write is in progress
// (the aggregator's engine holds a read-write lock).
package graph
