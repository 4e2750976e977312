package main

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppress records why a cdk-nag AwsSolutions rule does not apply to c and its children.
// Every suppression carries its reason; the nag test fails on an empty one.
func suppress(c constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String(rule), Reason: jsii.String(reason),
	}}, jsii.Bool(true))
}

// suppressOn is suppress limited to findings about the given resources or actions (cdk-nag's appliesTo).
func suppressOn(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	var to []interface{}
	for _, a := range appliesTo {
		to = append(to, a)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String(rule), Reason: jsii.String(reason), AppliesTo: &to,
	}}, jsii.Bool(true))
}
