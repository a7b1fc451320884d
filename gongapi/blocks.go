package gongapi

import "encoding/json"

// The AI blocks of a call's content and a few lists of users and trackers are kept
// as the JSON documents Gong sent (fields Gong adds inside them included) and are
// also read as the shapes below, which give their rows. Each decoder returns nil for
// a block that is absent, null, or not in the documented shape: the document is
// still stored whole, and one odd block costs its rows, not the record.

// OutlineSection is one section of a call's AI outline (CallOutlineSection); times in
// seconds from the call's start.
type OutlineSection struct {
	Section   *string       `json:"section"`
	StartTime *float64      `json:"startTime"`
	Duration  *float64      `json:"duration"`
	Items     []OutlineItem `json:"items"`
}

// OutlineItem is one line of an outline section (CallOutlineItem).
type OutlineItem struct {
	Text      *string  `json:"text"`
	StartTime *float64 `json:"startTime"`
}

// HighlightSection is one titled group of a call's highlights (CallHighlightsSection).
type HighlightSection struct {
	Title *string         `json:"title"`
	Items []HighlightItem `json:"items"`
}

// HighlightItem is one highlight and the seconds from the call's start where it was
// said (CallHighlightsItem).
type HighlightItem struct {
	Text       *string   `json:"text"`
	StartTimes []float64 `json:"startTimes"`
}

// KeyPoint is one of a call's AI key points (CallKeyPoint).
type KeyPoint struct {
	Text *string `json:"text"`
}

// StructurePart is one part of a call's agenda (StructureDto); Duration in seconds.
type StructurePart struct {
	Name     *string `json:"name"`
	Duration *int64  `json:"duration"`
}

// SpokenLanguage is one language a user speaks (spokenLanguage): a BCP-47 tag, and
// whether it is the user's primary language.
type SpokenLanguage struct {
	Language *string `json:"language"`
	Primary  *bool   `json:"primary"`
}

// TrackerLanguageKeywords is a tracker's keywords in one language
// (TrackerLanguageKeyword): an ISO 639-2/B code, "mul" for every language.
type TrackerLanguageKeywords struct {
	Language            *string  `json:"language"`
	Keywords            []string `json:"keywords"`
	IncludeRelatedForms *bool    `json:"includeRelatedForms"`
}

// OutlineSections reads the content's outline block.
func (c *CallContent) OutlineSections() []OutlineSection {
	return decodeBlock[OutlineSection](c.Outline)
}

// HighlightSections reads the content's highlights block.
func (c *CallContent) HighlightSections() []HighlightSection {
	return decodeBlock[HighlightSection](c.Highlights)
}

// KeyPointList reads the content's keyPoints block.
func (c *CallContent) KeyPointList() []KeyPoint { return decodeBlock[KeyPoint](c.KeyPoints) }

// StructureParts reads the content's structure block.
func (c *CallContent) StructureParts() []StructurePart {
	return decodeBlock[StructurePart](c.Structure)
}

// SpokenLanguageList reads the user's spokenLanguages.
func (u *User) SpokenLanguageList() []SpokenLanguage {
	return decodeBlock[SpokenLanguage](u.SpokenLanguages)
}

// LanguageKeywordList reads the tracker's languageKeywords.
func (t *KeywordTracker) LanguageKeywordList() []TrackerLanguageKeywords {
	return decodeBlock[TrackerLanguageKeywords](t.LanguageKeywords)
}

// decodeBlock reads a JSON array of T, nil when it is absent or not one.
func decodeBlock[T any](raw json.RawMessage) []T {
	if len(raw) == 0 {
		return nil
	}
	var out []T
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}
