package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// storefrontPrefix names every merchant's storefront signing keys: the secret <prefix><merchant> holds
// {"keys":[{"kid","secret"}]}. Ops create one per merchant (see DEPLOY.md); the stack does not, because merchants
// come and go without a deploy.
func storefrontPrefix(cfg config) string { return "breakwater/" + cfg.Stage + "/storefront/" }

// grantStorefrontKeys lets fn read the storefront key secrets of this stage, and nothing else of Secrets Manager.
func grantStorefrontKeys(fn awslambda.Function, cfg config) {
	stack := awscdk.Stack_Of(fn)
	arn := fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s*", *stack.Partition(), *stack.Region(), *stack.Account(), storefrontPrefix(cfg))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadStorefrontKeys"),
		Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
		Resources: jsii.Strings(arn),
	}))
	suppressOn(fn.Role(), "AwsSolutions-IAM5",
		"secretsmanager:GetSecretValue on this stage's storefront key secrets: one secret per merchant, named by prefix; the action is the only one, and the prefix names no other secret.",
		"Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"+storefrontPrefix(cfg)+"*")
}
