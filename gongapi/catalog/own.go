package catalog

// ownSpecs are gongsync's own actions, written by hand in the same shape as the
// generated entries and listed beside them; their names are dotted ("calls.refresh")
// so they can never clash with one of Gong's operationIds. They have no Method and
// Path: each is a small program over several requests and the synced copy (package
// sync runs them), checked here like any other input before anything is spent.
var ownSpecs = []*Spec{
	{
		// Reads Gong; writes only gongsync's own tables.
		Name: "calls.refresh", Writes: false,
		Scope: "api:calls:read:extensive", MoreScopes: []string{"api:calls:read:transcript"},
		Inputs: []Field{
			{Name: "callIds", Required: true, Schema: &Schema{Kind: Array, Items: &Schema{Kind: String, MinLength: ref(1)},
				MinItems: ref(1), MaxItems: ref(MaxRefreshCalls)}},
		},
	},
	{
		Name: "privacy.erase-email", Writes: true,
		Scope: "api:data-privacy:delete", MoreScopes: []string{"api:data-privacy:read"},
		Inputs: []Field{
			{Name: "emailAddress", Required: true, Schema: &Schema{Kind: String, Format: FormatEmail}},
			{Name: DryRunField, Schema: &Schema{Kind: Boolean}},
		},
	},
	{
		Name: "privacy.erase-phone", Writes: true,
		Scope: "api:data-privacy:delete", MoreScopes: []string{"api:data-privacy:read"},
		Inputs: []Field{
			{Name: "phoneNumber", Required: true, Schema: &Schema{Kind: String, Format: FormatPhone}},
			{Name: DryRunField, Schema: &Schema{Kind: Boolean}},
		},
	},
}

// MaxRefreshCalls is how many calls one calls.refresh takes: what one request of
// calls/extensive and one of calls/transcript can name (Gong's limit on callIds).
const MaxRefreshCalls = 100

// DryRunField is the input of an own action that asks it to show what it would do,
// spending only reads (the CLI's --dry-run sets it).
const DryRunField = "dryRun"
