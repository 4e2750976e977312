// Command infra is the CDK app that deploys Breakwater: one stack per stage, checked by cdk-nag on every synth.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := configFrom(app.Node())
	if err != nil {
		jsii.Close()
		fmt.Fprintln(os.Stderr, "breakwater infra:", err)
		os.Exit(1)
	}
	newStack(app, cfg)
	// AwsSolutions errors fail the synth (annotationsInValidationReport), so no unreviewed finding reaches a deploy.
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
}
