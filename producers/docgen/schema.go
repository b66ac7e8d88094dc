package docgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// schemaNode is the part of a JSON Schema the reference shows. Properties
// keep the schema file's order: authors order fields for readers.
type schemaNode struct {
	Type        any // "string" or a list of type names
	Description string
	Format      string
	Enum        []any
	Const       any
	HasConst    bool
	Properties  []property
	Required    []string
	Items       *schemaNode
}

type property struct {
	Name string
	Node *schemaNode
}

func parseSchema(b []byte) (*schemaNode, error) {
	var n schemaNode
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	return &n, nil
}

// UnmarshalJSON decodes a schema node, keeping the order of properties.
func (n *schemaNode) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type        any             `json:"type"`
		Description string          `json:"description"`
		Format      string          `json:"format"`
		Enum        []any           `json:"enum"`
		Const       json.RawMessage `json:"const"`
		Properties  json.RawMessage `json:"properties"`
		Required    []string        `json:"required"`
		Items       *schemaNode     `json:"items"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*n = schemaNode{Type: raw.Type, Description: raw.Description, Format: raw.Format, Enum: raw.Enum,
		Required: raw.Required, Items: raw.Items}
	if raw.Const != nil {
		n.HasConst = true
		if err := json.Unmarshal(raw.Const, &n.Const); err != nil {
			return err
		}
	}
	if raw.Properties == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Properties))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, ok := tok.(string)
		if !ok {
			return fmt.Errorf("properties: unexpected %v", tok)
		}
		var sub schemaNode
		if err := dec.Decode(&sub); err != nil {
			return fmt.Errorf("property %q: %w", name, err)
		}
		n.Properties = append(n.Properties, property{Name: name, Node: &sub})
	}
	return nil
}

// typeString is how the field table shows a node's type: a constant, the
// allowed values, or the JSON type with its format.
func (n *schemaNode) typeString() string {
	switch {
	case n.HasConst:
		return "always " + literal(n.Const)
	case len(n.Enum) > 0:
		vals := make([]string, len(n.Enum))
		for i, v := range n.Enum {
			vals[i] = literal(v)
		}
		return "one of " + strings.Join(vals, ", ")
	}
	var t string
	switch v := n.Type.(type) {
	case string:
		t = v
	case []any:
		var parts []string
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
		t = strings.Join(parts, " or ")
	default:
		t = "any"
	}
	if t == "array" && n.Items != nil {
		t = "array of " + n.Items.typeString()
	}
	if n.Format != "" {
		t += " (" + n.Format + ")"
	}
	return t
}

func literal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return "`" + string(b) + "`"
}
