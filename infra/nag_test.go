package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestCdkNagAwsSolutions: the AwsSolutions pack finds no unsuppressed error in either stage, and every
// suppression says why.
func TestCdkNagAwsSolutions(t *testing.T) {
	dev, prod := stages(t)
	for _, s := range []*synthesized{dev, prod} {
		t.Run(s.Config.Stage, func(t *testing.T) {
			check(t, "nag findings", func() {
				a := assertions.Annotations_FromStack(s.Stack)
				for _, m := range *a.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
					t.Errorf("cdk-nag error at %s: %v", *m.Id, m.Entry.Data)
				}
				for _, m := range *a.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
					t.Logf("cdk-nag warning at %s: %v", *m.Id, m.Entry.Data)
				}
			})
			count := 0
			for id, r := range asMap(s.JSON["Resources"]) {
				for _, sup := range asSlice(asMap(asMap(asMap(r)["Metadata"])["cdk_nag"])["rules_to_suppress"]) {
					sup := asMap(sup)
					count++
					if reason, _ := sup["reason"].(string); len(strings.Fields(reason)) < 8 {
						t.Errorf("%s suppresses %v with reason %q: say why in a sentence", id, sup["id"], reason)
					}
				}
			}
			t.Logf("%s: %d suppressions, each with its reason", s.Config.Stage, count)
		})
	}
}
