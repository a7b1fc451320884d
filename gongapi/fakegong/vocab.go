package fakegong

// Word lists for the generated dataset. They only need to look like a sales team's
// calls; every string is a constant so generating content allocates little.

var firstNames = []string{
	"Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
	"Keiko", "Lars", "Maya", "Nikolai", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
	"Umar", "Vera", "Wes", "Xenia", "Yusuf", "Zoe", "Amara", "Ben", "Clara", "Diego",
	"Emeka", "Fiona", "Gael", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mateo", "Nora",
}

var lastNames = []string{
	"Abbott", "Bianchi", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
	"Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
	"Quintero", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz",
	"Zimmermann", "Oduya", "Brennan", "Costa", "Duarte",
}

var userTitles = []string{
	"Account Executive", "Senior Account Executive", "Sales Development Representative",
	"Customer Success Manager", "Solutions Engineer", "Sales Manager", "Regional Director",
	"VP Sales", "Account Manager", "Business Development Representative",
}

var managerTitles = []string{"Sales Manager", "Regional Director", "VP Sales", "Head of Customer Success"}

var externalTitles = []string{
	"CTO", "Head of IT", "Procurement Lead", "Operations Manager", "VP Engineering",
	"Data Analyst", "Finance Director", "Product Manager", "Chief of Staff", "Security Officer",
}

var accountPrefixes = []string{
	"Blue", "Granite", "Harbor", "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer",
	"Quarry", "Redwood", "Summit", "Tidal", "Umber", "Vertex", "Willow", "Yarrow", "Zephyr", "Aster",
	"Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Glacier", "Helix", "Iris", "Jasper", "Keystone",
	"Lattice", "Meridian", "Northwind", "Onyx", "Prairie", "Quartz", "Ridge", "Sable", "Tundra", "Vale",
}

var accountSuffixes = []string{
	"Analytics", "Logistics", "Health", "Robotics", "Foods", "Energy", "Media", "Capital", "Labs", "Retail",
}

var industries = []string{"Software", "Manufacturing", "Healthcare", "Retail", "Financial Services", "Logistics", "Energy", "Media"}

var leadSources = []string{"Web", "Partner Referral", "Outbound", "Trade Show", "Webinar"}

var opportunityTypes = []string{"New Business", "Existing Business - Upgrade", "Renewal"}

var stages = []string{"Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost"}

var stageProbability = []float64{10, 20, 35, 60, 80, 100, 0}

var workspaceNames = []string{"Sales", "Customer Success", "Partners", "EMEA Sales", "APAC Sales", "SDR Team"}

var workspaceDescriptions = []string{
	"New business across North America", "Renewals and expansion", "Channel and alliance calls",
	"New business in Europe", "New business in Asia-Pacific", "Outbound prospecting",
}

var conferenceSystems = []string{"Zoom", "Google Meet", "Microsoft Teams", "WebEx"}

var telephonySystems = []string{"Aircall", "RingCentral", "Dialpad", "Outreach"}

var languages = []string{"eng", "eng", "eng", "eng", "eng", "eng", "spa", "fre", "ger", "und", "zxx"}

var spokenLanguageTags = []string{"en-US", "en-GB", "es-ES", "fr-FR", "de-DE"}

var dispositions = []string{"Connected", "Left voicemail", "No answer", "Meeting booked", "Not interested"}

var purposes = []string{"Discovery", "Demo", "Negotiation", "Kickoff", "Quarterly business review"}

var conferencingProviders = []string{"Zoom", "Google Meet", "Microsoft Teams", "WebEx"}

var conferenceTitles = []string{
	"Intro call", "Discovery", "Product demo", "Technical deep dive", "Pricing discussion",
	"Security review", "Kickoff", "Quarterly business review", "Contract walkthrough", "Follow-up",
}

var internalTitles = []string{
	"Weekly pipeline review", "Deal strategy", "Forecast call", "Team standup", "Onboarding session",
	"Enablement: objection handling",
}

var changedTitleSuffixes = []string{" (rescheduled)", " - updated", " [internal notes]", " - follow-up"}

var structureNames = []string{"Call Setup", "Small Talk", "Agenda", "Discovery", "Product Demo", "Pricing", "Objections", "Next Steps", "Wrap-up"}

var topicNames = []string{"Pricing", "Product Demo", "Integration", "Security", "Onboarding", "Competition", "Use Cases", "Next Steps", "Small Talk", "Call Setup", "Budget", "Timeline"}

var trackerNames = []string{"Competitors", "Pricing", "Budget", "Security", "Integrations", "Timeline", "Decision Makers", "Next Steps", "Legal", "Churn Risk"}

var trackerKeywords = [][]string{
	{"competitor", "alternative", "other vendor"},
	{"price", "discount", "cost per seat"},
	{"budget", "funding", "fiscal year"},
	{"SOC 2", "encryption", "GDPR"},
	{"API", "Salesforce", "single sign-on"},
	{"deadline", "go-live", "by next quarter"},
	{"CFO", "sign-off", "approval"},
	{"follow up", "send over", "next meeting"},
	{"contract", "terms", "redlines"},
	{"cancel", "not renewing", "frustrated"},
}

var smartTrackerNames = []string{"Objection Handling", "Value Proposition", "Customer Pain", "Upsell Opportunity"}

var videoSegments = []string{"Browser", "Presentation", "WebcamPrimaryUser", "WebcamNonCompany", "Webcam"}

var outcomeNames = []struct{ category, name string }{
	{"Sales", "Demo scheduled"}, {"Sales", "Moved to next stage"}, {"Sales", "Closed won"},
	{"Sales", "Not qualified"}, {"Service", "Issue resolved"}, {"Service", "Escalated"},
	{"General", "Follow-up needed"},
}

var outlineSections = []string{"Introductions", "Current setup", "Requirements", "Demo walkthrough", "Commercials", "Agreed next steps"}

var highlightTitles = []string{"Next steps", "Pain points", "Objections", "Decision process"}

var summaryLines = []string{
	"The customer described a manual reporting process that takes two days each month.",
	"They are evaluating two other vendors and expect a decision within the quarter.",
	"Security asked for the latest penetration test report before any pilot.",
	"The team agreed to run a four-week pilot with ten seats.",
	"Budget is approved for this fiscal year but needs sign-off from the CFO.",
	"Integration with their CRM is the most important requirement.",
	"The champion will set up a meeting with the procurement lead next week.",
	"Pricing per seat was discussed, with a volume discount for annual billing.",
	"The current contract with their incumbent ends in three months.",
	"Onboarding time was raised as the main concern from the operations team.",
	"We walked through the dashboard and the alerting features.",
	"They asked for references from companies of a similar size.",
	"Legal will review the order form and send redlines by Friday.",
	"The rollout would start with the EMEA team and expand later in the year.",
	"Our rep will send a summary and a draft mutual action plan.",
	"Data residency in the EU is a hard requirement for them.",
}

var commentTexts = []string{
	"Great discovery questions here.",
	"Watch how the objection about price was handled.",
	"We should have asked about the budget earlier.",
	"Good example for the onboarding playbook.",
	"Customer mentions a competitor at this point.",
	"Let's make sure legal sees this before Friday.",
}

// sentences are transcript lines, deliberately varied in length.
var sentences = []string{
	"Thanks for making the time today.",
	"Can everyone hear me okay?",
	"Before we dive in, could you give me a quick overview of your team?",
	"Sure, we have about forty people in operations spread across three offices.",
	"Right now most of our reporting happens in spreadsheets, which is painful.",
	"How long does it take to put the monthly numbers together?",
	"Honestly, about two days, and there are always a few mistakes.",
	"That's something we hear a lot, so let me show you how others solved it.",
	"I'll share my screen.",
	"This is the main dashboard your managers would see every morning.",
	"Can it pull data directly from Salesforce?",
	"Yes, the integration syncs every fifteen minutes and it takes about an hour to set up.",
	"What about single sign-on?",
	"We support SAML and the major identity providers.",
	"Our security team will want to see the SOC 2 report.",
	"Absolutely, I can send that over after the call.",
	"What does pricing look like for a team our size?",
	"It depends on the number of seats, but for forty users you'd be in our growth tier.",
	"Is there a discount for annual billing?",
	"Yes, annual contracts come with a lower price per seat.",
	"We're also talking to another vendor, to be transparent.",
	"That's fair, happy to go through how we compare.",
	"Who else would be involved in the decision?",
	"Our CFO signs off on anything above the budget threshold.",
	"When would you ideally want this up and running?",
	"We'd like to go live before the end of next quarter.",
	"That timeline works if we start the pilot in the next couple of weeks.",
	"Could we run a pilot with a smaller group first?",
	"Of course, most customers start with one team for four weeks.",
	"What would success look like for that pilot?",
	"If we can cut the reporting time in half, that's a clear win.",
	"Let me note that down as our main success criterion.",
	"Do you have any questions on the onboarding process?",
	"How much time would our admins need to spend on it?",
	"Typically a few hours in the first week and very little after that.",
	"That sounds manageable.",
	"Great, so for next steps I'll send a summary and the security documents.",
	"And we'll set up a call with procurement for next Tuesday.",
	"Perfect, thanks everyone.",
	"Talk soon.",
	"Sorry, I was on mute.",
	"Could you repeat the last part?",
	"Yes, of course.",
	"We tried a similar tool two years ago but adoption was low.",
	"What made adoption difficult back then?",
	"It didn't fit into how people already worked.",
	"This one lives inside the tools your team already uses, so it's much lighter.",
	"Okay, that's helpful.",
	"Let me check with my manager and get back to you.",
	"Is there anything that would stop you from moving forward?",
	"Mostly the budget approval, which should be done by the end of the month.",
	"I appreciate you walking us through all of this.",
	"Hi, am I speaking with the head of operations?",
	"I'm calling because we work with a few companies in your space.",
	"Do you have two minutes?",
	"Not really, could you send me an email instead?",
	"Sure, I'll send a short note with a couple of times for a call.",
	"Thanks, bye.",
	// Lines an assistant can be asked about: a named competitor, a price, a next step.
	"We're also evaluating Dialwise, and their quote came in lower per seat.",
	"Compared with CallPilot, your onboarding looks a lot faster.",
	"The list price is sixty dollars per seat per month, with fifteen percent off a two-year term.",
	"As a next step, our CFO reviews the proposal on Friday and we sign the order form.",
}
