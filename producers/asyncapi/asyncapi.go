package asyncapi

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/producers"
)

// UpdateCommand is the command that regenerates docs/asyncapi.yaml; the
// document names it so nobody edits it by hand.
const UpdateCommand = "go test ./producers/all -run TestAsyncAPIDoc -update"

// Version is the AsyncAPI version of the document.
const Version = "3.0.0"

// SchemaFormat is the schema format every payload declares: see the package
// doc for why draft-07 when the schema files say 2020-12.
const SchemaFormat = "application/schema+json;version=draft-07"

// ServerName and ServerHost name the one server of the document: the NATS
// server `exhaust demo` embeds, at its default --nats-listen.
const (
	ServerName = "nats"
	ServerHost = "localhost:4222"
)

// HeadersSchema is the name of the headers schema under components.schemas
// that every message refers to.
const HeadersSchema = "NatsHeaders"

// document is the AsyncAPI 3.0 document; fields in the order the
// specification lists them, maps sorted by key when encoded.
type document struct {
	AsyncAPI           string               `yaml:"asyncapi"`
	Info               info                 `yaml:"info"`
	Servers            map[string]server    `yaml:"servers"`
	DefaultContentType string               `yaml:"defaultContentType"`
	Channels           map[string]channel   `yaml:"channels"`
	Operations         map[string]operation `yaml:"operations"`
	Components         components           `yaml:"components"`
}

type info struct {
	Title       string `yaml:"title"`
	Version     string `yaml:"version"`
	Description string `yaml:"description"`
}

type server struct {
	Host        string `yaml:"host"`
	Protocol    string `yaml:"protocol"`
	Description string `yaml:"description"`
}

type ref struct {
	Ref string `yaml:"$ref"`
}

type channel struct {
	Address     string         `yaml:"address"`
	Title       string         `yaml:"title"`
	Description string         `yaml:"description"`
	Messages    map[string]ref `yaml:"messages"`
}

type operation struct {
	Action      string `yaml:"action"`
	Channel     ref    `yaml:"channel"`
	Title       string `yaml:"title"`
	Summary     string `yaml:"summary"`
	Description string `yaml:"description"`
	Tags        []ref  `yaml:"tags"`
	Messages    []ref  `yaml:"messages"`
}

type message struct {
	Name        string      `yaml:"name"`
	Title       string      `yaml:"title"`
	Summary     string      `yaml:"summary"`
	Description string      `yaml:"description"`
	Means       []means     `yaml:"x-exhaust-means,omitempty"`
	Tags        []ref       `yaml:"tags"`
	Headers     ref         `yaml:"headers"`
	Payload     multiFormat `yaml:"payload"`
}

// means is one meaning a kind declares (producers.KindSpec.Means, package
// meaning), in the specification extension x-exhaust-means: what it is,
// the identifier kind it is about and the data fields it reads.
type means struct {
	Meaning string   `yaml:"meaning"`
	Of      string   `yaml:"of"`
	Fields  []string `yaml:"fields,omitempty,flow"`
}

// multiFormat is AsyncAPI's Multi Format Schema Object.
type multiFormat struct {
	SchemaFormat string     `yaml:"schemaFormat"`
	Schema       *yaml.Node `yaml:"schema"`
}

type tag struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

type components struct {
	Schemas  map[string]*yaml.Node `yaml:"schemas"`
	Messages map[string]message    `yaml:"messages"`
	Tags     map[string]tag        `yaml:"tags"`
}

// YAML returns the AsyncAPI 3.0 document of ps' event kinds, as YAML. It
// fails when a kind's schema is not JSON or uses a keyword that draft-07
// reads differently from 2020-12 (see the package doc).
func YAML(ps []producers.Producer) ([]byte, error) {
	doc, err := build(ps)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Generated from the producer registry by `exhaust producers --asyncapi`; DO NOT EDIT.\n")
	fmt.Fprintf(&b, "# Regenerate docs/asyncapi.yaml with `%s`.\n", UpdateCommand)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode asyncapi document: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode asyncapi document: %w", err)
	}
	return b.Bytes(), nil
}

func build(ps []producers.Producer) (*document, error) {
	envelope, err := schemaNode(event.EnvelopeSchema())
	if err != nil {
		return nil, fmt.Errorf("envelope schema: %w", err)
	}
	doc := &document{
		AsyncAPI: Version,
		Info: info{
			Title:   "exhaust",
			Version: strconv.Itoa(event.SchemaVersion),
			Description: "The data exhaust of a simulated city: every sensor (the phone network, a fitness wristband, " +
				"the transit gates, the bank, a shop's loyalty scheme, the café Wi-Fi) publishes what it saw of people's " +
				"day as JSON events on NATS subjects `" + event.SubjectRoot + ".<producer>.<kind>`, one channel per " +
				"event type here. Every event has the same envelope, with [CloudEvents 1.0](https://cloudevents.io) " +
				"attribute names; its `data` has the kind's own JSON Schema. The header `Nats-Msg-Id` carries the " +
				"event id, so the JetStream stream over `" + event.SubjectRoot + ".>` drops duplicates.\n\n" +
				"Generated from the producer registry; docs/events.md is the same reference for people, " +
				"with a real example of every event.",
		},
		Servers: map[string]server{ServerName: {
			Host:        ServerHost,
			Protocol:    "nats",
			Description: "The NATS server `exhaust demo` embeds (its --nats-listen), with JetStream.",
		}},
		DefaultContentType: "application/json",
		Channels:           map[string]channel{},
		Operations:         map[string]operation{},
		Components: components{
			Schemas:  map[string]*yaml.Node{HeadersSchema: headersSchema()},
			Messages: map[string]message{},
			Tags:     map[string]tag{},
		},
	}
	for _, p := range ps {
		s := p.Spec()
		doc.Components.Tags[s.Name] = tag{Name: s.Name, Description: s.Summary}
		tags := []ref{{"#/components/tags/" + s.Name}}
		for _, k := range s.Kinds {
			typ := event.Type(s.Name, k.Name)
			data, err := schemaNode(k.Schema)
			if err != nil {
				return nil, fmt.Errorf("%s schema: %w", typ, err)
			}
			if err := checkDraft07(data, ""); err != nil {
				return nil, fmt.Errorf("%s schema: %w", typ, err)
			}
			doc.Channels[typ] = channel{
				Address:     event.Subject(s.Name, k.Name),
				Title:       typ,
				Description: k.Summary,
				Messages:    map[string]ref{typ: {"#/components/messages/" + typ}},
			}
			doc.Operations[typ] = operation{
				Action:      "send",
				Channel:     ref{"#/channels/" + typ},
				Title:       "Publish " + typ,
				Summary:     fmt.Sprintf("The %s sensor publishes a %s event for each one it sees.", s.Name, typ),
				Description: s.Summary,
				Tags:        tags,
				Messages:    []ref{{"#/channels/" + typ + "/messages/" + typ}},
			}
			doc.Components.Messages[typ] = message{
				Name:        typ,
				Title:       typ,
				Summary:     k.Summary,
				Description: messageDescription(s, k),
				Means:       meansOf(k),
				Tags:        tags,
				Headers:     ref{"#/components/schemas/" + HeadersSchema},
				Payload:     multiFormat{SchemaFormat: SchemaFormat, Schema: payload(envelope, s.Name, k.Name, data)},
			}
		}
	}
	return doc, nil
}

// messageDescription says what a kind is, what it gives away, the
// identifiers it may carry and the privacy settings that stop it.
func messageDescription(s producers.Spec, k producers.KindSpec) string {
	var b strings.Builder
	b.WriteString(k.Summary)
	b.WriteString("\n\n**Reveals:** ")
	b.WriteString(k.Reveals)
	ids := make([]string, len(k.IDKinds))
	for i, id := range k.IDKinds {
		ids[i] = "`" + string(id) + "`"
	}
	b.WriteString("\n\n**Identifiers:** ")
	b.WriteString(strings.Join(ids, ", "))
	b.WriteString(".")
	var stopped []string
	for _, r := range s.Privacy {
		for _, sup := range r.Suppresses {
			if sup == k.Name {
				stopped = append(stopped, "*"+r.Setting+"*")
			}
		}
	}
	if len(stopped) > 0 {
		b.WriteString("\n\n**Not emitted with:** ")
		b.WriteString(strings.Join(stopped, "; "))
		b.WriteString(".")
	}
	return b.String()
}

// meansOf lists the meanings k declares, in its order, each field once.
func meansOf(k producers.KindSpec) []means {
	var out []means
	for _, m := range k.Means {
		var fields []string
		for _, f := range m.Uses() {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
		out = append(out, means{Meaning: m.Kind(), Of: string(m.About()), Fields: fields})
	}
	return out
}

// payload returns the envelope schema narrowed to one event type: type,
// source and dataschema become constants, data the kind's schema.
func payload(envelope *yaml.Node, producer, kind string, data *yaml.Node) *yaml.Node {
	typ := event.Type(producer, kind)
	n := clone(envelope)
	deleteKey(n, "$id")
	setKey(n, "title", str(typ+" event"))
	props := get(n, "properties")
	for key, value := range map[string]string{
		"type":       typ,
		"source":     event.Source(producer),
		"dataschema": event.SchemaURI(typ, event.SchemaVersion),
	} {
		p := get(props, key)
		deleteKey(p, "type")
		deleteKey(p, "pattern")
		deleteKey(p, "format")
		setKey(p, "const", str(value))
	}
	setKey(props, "data", data)
	return n
}

// headersSchema is the schema of the NATS headers every event is published
// with.
func headersSchema() *yaml.Node {
	id := mapping(
		"description", str("The event id (the envelope's id): JetStream drops a message whose Nats-Msg-Id it has seen within the stream's duplicate window."),
		"type", str("string"),
		"format", str("uuid"),
	)
	publisher := mapping(
		"description", str("The publisher: a random id per publishing process (per natsbus.Publisher). With "+
			natsbus.PublisherSeqHeader+", it lets a consumer put a publisher's messages back in publication order "+
			"where the stream stored them in another (after a stream leader's failover on a cluster)."),
		"type", str("string"),
	)
	number := mapping(
		"description", str("The message's number in its publisher's order, from 1, in decimal."),
		"type", str("string"),
		"pattern", str("^[1-9][0-9]*$"),
	)
	settled := mapping(
		"description", str("Every earlier message of the publisher numbered below this value, in decimal, was stored "+
			"before this one was published (acknowledged, possibly as a duplicate the stream dropped) or failed for good: "+
			"a consumer that has not seen one of them need not wait for it."),
		"type", str("string"),
		"pattern", str("^[1-9][0-9]*$"),
	)
	n := mapping(
		"type", str("object"),
		"required", seq(str("Nats-Msg-Id")),
		"properties", mapping("Nats-Msg-Id", id, natsbus.PublisherHeader, publisher, natsbus.PublisherSeqHeader, number,
			natsbus.PublisherSettledHeader, settled),
	)
	blockStyle(n)
	return n
}

// schemaNode parses a JSON Schema into a YAML node tree, keeping the order
// of its keys, in block style and without its "$schema".
func schemaNode(schema []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(schema, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse: not a JSON object")
	}
	n := doc.Content[0]
	blockStyle(n)
	deleteKey(n, "$schema")
	return n, nil
}
