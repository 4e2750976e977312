package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// agentsGroup is the Cognito group whose members may use the agent routes; the agent function checks the claim.
const agentsGroup = "agents"

// agents is who may answer handed-off contacts: a user pool, its agents group and the console's app client.
type agents struct {
	Pool   awscognito.UserPool
	Client awscognito.UserPoolClient
}

// newAgents creates the user pool agents sign in to. Ops create agents (no self sign-up); the console is a public
// browser client, so its app client has no secret and signs in with USER_PASSWORD_AUTH or SRP.
//
// An agent's tenant (a merchant id, or "platform"), languages and skills are custom attributes that only ops set
// (AdminCreateUser, AdminUpdateUserAttributes): the console's app client may read them, into the ID token the API's
// JWT authorizer checks, and may write none of them, so an agent cannot move to another merchant's queues. In prod
// every agent signs in with a password and an authenticator app (TOTP), which the console enrols and answers.
func newAgents(scope constructs.Construct, cfg config) *agents {
	scope = constructs.NewConstruct(scope, jsii.String("Agents"))
	pool := awscognito.NewUserPool(scope, jsii.String("Pool"), &awscognito.UserPoolProps{
		SelfSignUpEnabled: jsii.Bool(false),
		SignInAliases:     &awscognito.SignInAliases{Username: jsii.Bool(true), Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		AccountRecovery:   awscognito.AccountRecovery_EMAIL_ONLY,
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(12),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		Mfa:             mfa(cfg),
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			"tenant":    awscognito.NewStringAttribute(&awscognito.StringAttributeProps{MinLen: jsii.Number(1), MaxLen: jsii.Number(128), Mutable: jsii.Bool(true)}),
			"languages": awscognito.NewStringAttribute(&awscognito.StringAttributeProps{MinLen: jsii.Number(2), MaxLen: jsii.Number(64), Mutable: jsii.Bool(true)}),
			"skills":    awscognito.NewStringAttribute(&awscognito.StringAttributeProps{MaxLen: jsii.Number(256), Mutable: jsii.Bool(true)}),
		},
		DeletionProtection: jsii.Bool(cfg.prod()),
		RemovalPolicy:      removalPolicy(cfg),
	})
	pool.AddGroup(jsii.String("Group"), &awscognito.UserPoolGroupOptions{
		GroupName:   jsii.String(agentsGroup),
		Description: jsii.String("May claim and answer handed-off contacts"),
	})
	client := pool.AddClient(jsii.String("Console"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false),
		AuthFlows: &awscognito.AuthFlow{
			UserPassword: jsii.Bool(true),
			UserSrp:      jsii.Bool(true),
		},
		DisableOAuth: jsii.Bool(true),
		ReadAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true), EmailVerified: jsii.Bool(true)}).
			WithCustomAttributes(jsii.String("tenant"), jsii.String("languages"), jsii.String("skills")),
		// Nothing an agent could use to change who it is: no custom attribute, and not the email it signs in with.
		WriteAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Nickname: jsii.Bool(true)}),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Hours(jsii.Number(12)), // one shift
	})
	if !cfg.prod() {
		suppress(pool, "AwsSolutions-COG2",
			"MFA is optional outside prod, so test agents of a dev stage can sign in without an authenticator app; prod requires it (TOTP), and the console enrols and answers it.")
	}
	plus := "Threat protection (advanced security) needs the Plus feature plan, billed per monthly active user; the pool has no self sign-up, only ops-created agents with a 12-character password policy, and the API throttles the stage."
	suppress(pool, "AwsSolutions-COG3", plus)
	suppress(pool, "AwsSolutions-COG8", plus)
	return &agents{Pool: pool, Client: client}
}

// mfa requires an authenticator app in prod and offers it elsewhere.
func mfa(cfg config) awscognito.Mfa {
	if cfg.prod() {
		return awscognito.Mfa_REQUIRED
	}
	return awscognito.Mfa_OPTIONAL
}
