package humanqueue

import (
	"hash/fnv"
	"slices"

	"breakwater/shared/contact"
	"breakwater/shared/priority"
)

// Platform is the tenant of the platform's own staff: they serve what belongs to the platform (fraud, disputes
// between shopper and shop) for every merchant. Every other tenant is a merchant, by its merchant id.
const Platform = "platform"

// Agent is a person who works a tenant's human queues.
type Agent struct {
	// Tenant is the merchant whose shoppers the agent serves, or Platform.
	Tenant string
	// Name identifies the agent within the deployment (the Cognito user name, or the local demo name).
	Name string
	// Languages the agent answers in; a claim takes only contacts in one of them.
	Languages []contact.Locale
	// Skills the agent has; a claim takes only contacts that need none or one of them.
	Skills []string
}

// Serves reports whether a may take a contact of tenant, in locale, that needs skill ("" for none).
func (a Agent) Serves(tenant string, locale contact.Locale, skill string) bool {
	return a.Tenant == tenant && slices.Contains(a.Languages, locale) && (skill == "" || slices.Contains(a.Skills, skill))
}

// MaxLeases is how many contacts one agent may hold at once by default: enough to wait on one shopper while
// answering another, too few for one stolen account to page through a queue.
const MaxLeases = 3

// Route returns who serves a handed-off contact of merchant with reasons, by the merchant's rules: Platform when
// any reason is one the platform serves, else the merchant; and the skill its reasons need ("" for none).
func Route(r priority.Rules, merchant string, reasons []string) (tenant, skill string) {
	tenant = merchant
	for _, reason := range reasons {
		if slices.Contains(r.Platform, reason) {
			tenant = Platform
		}
		if s := r.Skills[reason]; s != "" && skill == "" {
			skill = s
		}
	}
	return tenant, skill
}

// Shards returns how many shards tenant's queues have: the merchant's rules say, and the platform's default
// rules say for the platform team. rulesOf returns a merchant's rules (the platform's default for
// platformRules).
func Shards(rulesOf func(merchant string) priority.Rules, platformRules, tenant string) int {
	if tenant == Platform {
		return max(1, rulesOf(platformRules).PlatformShards)
	}
	return max(1, rulesOf(tenant).Shards)
}

// ShardOf picks the shard of contact id among n, the same for every call.
func ShardOf(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}
