package asyncapi

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Helpers over YAML node trees: they keep a schema's keys in the order its
// author wrote them, which a map would lose.

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// mapping builds a mapping node from alternating keys and values.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// setKey sets key in mapping n to v, in place when present, else last.
func setKey(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, str(key), v)
}

// deleteKey removes key from mapping n, if present.
func deleteKey(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = slices.Delete(n.Content, i, i+2)
			return
		}
	}
}

// clone returns a deep copy of n.
func clone(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = clone(child)
	}
	return &c
}

// blockStyle drops the flow style and quoting JSON parsed into: the encoder
// then writes block YAML and quotes only what needs it. A list of scalars
// (required, enum) stays on one line, [a, b, c].
func blockStyle(n *yaml.Node) {
	n.Style = 0
	n.Line, n.Column = 0, 0
	if n.Kind == yaml.SequenceNode && !slices.ContainsFunc(n.Content, func(c *yaml.Node) bool { return c.Kind != yaml.ScalarNode }) {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// draft07Keywords are the schema keywords that draft-07 and draft 2020-12
// read the same way. "$ref" is not among them: 2020-12 applies the
// keywords beside it, draft-07 ignores them.
var draft07Keywords = map[string]bool{
	"$id": true, "$comment": true, "title": true, "description": true, "default": true, "examples": true,
	"readOnly": true, "writeOnly": true, "deprecated": true,
	"type": true, "enum": true, "const": true, "format": true,
	"multipleOf": true, "minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minLength": true, "maxLength": true, "pattern": true,
	"items": true, "minItems": true, "maxItems": true, "uniqueItems": true, "contains": true,
	"properties": true, "patternProperties": true, "additionalProperties": true, "required": true,
	"propertyNames": true, "minProperties": true, "maxProperties": true,
	"allOf": true, "anyOf": true, "oneOf": true, "not": true, "if": true, "then": true, "else": true,
}

// Keywords whose values hold subschemas: one schema, a list of them, or a
// map of names to them.
var (
	schemaKeywords      = []string{"items", "contains", "additionalProperties", "propertyNames", "not", "if", "then", "else"}
	schemaListKeywords  = []string{"allOf", "anyOf", "oneOf"}
	schemaMapKeywords   = []string{"properties", "patternProperties"}
	errNotDraft07Schema = errors.New("is not read the same by draft-07 and 2020-12")
)

// pointerEscaper escapes a property name in a JSON pointer (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// checkDraft07 reports the first keyword in schema n (at JSON pointer path)
// outside draft07Keywords, or a draft-07 tuple "items" (a list).
func checkDraft07(n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return nil // true and false are schemas too
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a schema", pointer(path))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i].Value, n.Content[i+1]
		if !draft07Keywords[key] {
			return fmt.Errorf("%s: keyword %q %w", pointer(path+"/"+key), key, errNotDraft07Schema)
		}
		switch {
		case key == "items" && v.Kind == yaml.SequenceNode:
			return fmt.Errorf("%s: a list of schemas (a tuple) %w", pointer(path+"/"+key), errNotDraft07Schema)
		case slices.Contains(schemaKeywords, key):
			if err := checkDraft07(v, path+"/"+key); err != nil {
				return err
			}
		case slices.Contains(schemaListKeywords, key):
			if v.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s: not a list of schemas", pointer(path+"/"+key))
			}
			for j, s := range v.Content {
				if err := checkDraft07(s, fmt.Sprintf("%s/%s/%d", path, key, j)); err != nil {
					return err
				}
			}
		case slices.Contains(schemaMapKeywords, key):
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("%s: not a map of schemas", pointer(path+"/"+key))
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if err := checkDraft07(v.Content[j+1], path+"/"+key+"/"+pointerEscaper.Replace(v.Content[j].Value)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func pointer(path string) string {
	if path == "" {
		return "#"
	}
	return "#" + path
}
