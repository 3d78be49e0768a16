// validate-manifests: checks rendered Kubernetes manifests (helm template's output, on stdin) without a cluster.
//
// Built-in kinds are decoded strictly into client-go's types (k8s.io/api): an unknown or misspelt field, a
// duplicate field or a value of the wrong type is an error, as the API server's strict field validation would
// say. Custom resources (KEDA's ScaledObject, the Prometheus Operator's PodMonitor, ...) are checked against the
// OpenAPI schema of their CustomResourceDefinition, given with -crd: the schema's types, enums and required
// fields, and no field the schema does not declare. A kind that is neither built in nor given is an error, so a
// typo in apiVersion cannot pass. Why this rather than kubeconform: its schemas come from URLs, and only package
// registries are reachable here; these types and CRDs come from Go modules.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

type crdVersion struct {
	validator  apiservervalidation.SchemaValidator
	structural *structuralschema.Structural
}

type crdFiles []string

func (c *crdFiles) String() string     { return strings.Join(*c, ",") }
func (c *crdFiles) Set(v string) error { *c = append(*c, v); return nil }

func main() {
	var crds crdFiles
	flag.Var(&crds, "crd", "a CustomResourceDefinition YAML file (repeatable)")
	label := flag.String("label", "stdin", "what is validated, for the messages")
	flag.Parse()

	custom := map[schema.GroupVersionKind]crdVersion{}
	for _, file := range crds {
		if err := loadCRD(file, custom); err != nil {
			fail("%s: %v", file, err)
		}
	}

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		fail("%v", err)
	}
	strict := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	problems, documents := 0, 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail("%s: reading YAML: %v", *label, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		documents++
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			problems++
			fmt.Fprintf(os.Stderr, "%s: document %d: %v\n", *label, documents, err)
			continue
		}
		gvk := schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind)
		where := fmt.Sprintf("%s: %s %s", *label, meta.Kind, meta.Metadata.Name)
		for _, problem := range check(doc, gvk, scheme, strict, custom) {
			problems++
			fmt.Fprintf(os.Stderr, "%s: %s\n", where, problem)
		}
	}
	if documents == 0 {
		fail("%s: no manifests", *label)
	}
	if problems > 0 {
		fail("%s: %d problems in %d manifests", *label, problems, documents)
	}
	fmt.Printf("%s: %d manifests valid\n", *label, documents)
}

func check(doc []byte, gvk schema.GroupVersionKind, scheme *runtime.Scheme, strict runtime.Decoder,
	custom map[schema.GroupVersionKind]crdVersion) []string {
	if crd, ok := custom[gvk]; ok {
		var object map[string]interface{}
		if err := yaml.Unmarshal(doc, &object); err != nil {
			return []string{err.Error()}
		}
		var problems []string
		// Pruning on a copy reports the fields the schema does not declare, which the API server would drop.
		pruned := runtime.DeepCopyJSON(object)
		for _, path := range pruning.PruneWithOptions(pruned, crd.structural, true,
			structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
			if !strings.HasPrefix(path, "metadata.") {
				problems = append(problems, "unknown field "+path)
			}
		}
		delete(object, "metadata") // checked by the API server's own rules, not by the CRD's schema
		for _, err := range crd.validator.Validate(object).Errors {
			problems = append(problems, err.Error())
		}
		return problems
	}
	if !scheme.Recognizes(gvk) {
		return []string{fmt.Sprintf("unknown kind %s (neither built in nor given with -crd)", gvk)}
	}
	if _, _, err := strict.Decode(doc, nil, nil); err != nil {
		return []string{err.Error()}
	}
	return nil
}

func loadCRD(file string, into map[schema.GroupVersionKind]crdVersion) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return err
	}
	for _, version := range crd.Spec.Versions {
		if version.Schema == nil || version.Schema.OpenAPIV3Schema == nil {
			return fmt.Errorf("version %s has no schema", version.Name)
		}
		var internal apiextensionsinternal.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(
			version.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			return err
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(&internal)
		if err != nil {
			return err
		}
		structural, err := structuralschema.NewStructural(&internal)
		if err != nil {
			return err
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: version.Name, Kind: crd.Spec.Names.Kind}
		into[gvk] = crdVersion{validator: validator, structural: structural}
	}
	return nil
}

func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "validate-manifests: "+format+"\n", args...)
	os.Exit(1)
}
