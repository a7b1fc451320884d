package sync

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gongsync/gongsync/gongapi/fakegong"
)

// The rows derived from the JSON blocks of calls, users and trackers, compared with
// what the fake holds, built from its dataset and not from normalize.go.

// num renders a float as the comparisons' SQL renders a double precision (::text):
// shortest, without an exponent in the range of seconds the dataset uses.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// blockRowsWant are the rows of a call's AI blocks that the tables should hold.
type blockRowsWant struct {
	sections, items, highlights, highlightItems, keyPoints, structure []string
}

// add adds the rows of one call's content, positions from 0 in Gong's order.
func (w *blockRowsWant) add(callID string, c *fakegong.Content) {
	for i, s := range c.Outline {
		w.sections = append(w.sections, fmt.Sprintf("%s¦%d¦%s¦%s¦%s", callID, i, s.Section, num(s.StartTime), num(s.Duration)))
		for k, it := range s.Items {
			w.items = append(w.items, fmt.Sprintf("%s¦%d¦%d¦%s¦%s", callID, i, k, it.Text, num(it.StartTime)))
		}
	}
	for i, h := range c.Highlights {
		w.highlights = append(w.highlights, fmt.Sprintf("%s¦%d¦%s", callID, i, h.Title))
		for k, it := range h.Items {
			times := make([]string, len(it.StartTimes))
			for j, t := range it.StartTimes {
				times[j] = num(t)
			}
			w.highlightItems = append(w.highlightItems, fmt.Sprintf("%s¦%d¦%d¦%s¦%s", callID, i, k, it.Text, strings.Join(times, ",")))
		}
	}
	for i, p := range c.KeyPoints {
		w.keyPoints = append(w.keyPoints, fmt.Sprintf("%s¦%d¦%s", callID, i, p.Text))
	}
	for i, p := range c.Structure {
		w.structure = append(w.structure, fmt.Sprintf("%s¦%d¦%s¦%d", callID, i, p.Name, p.Duration))
	}
}

// assertBlockRows compares the block tables of the live calls with want.
func (v *env) assertBlockRows(want *blockRowsWant) {
	v.t.Helper()
	const live = ` JOIN calls c ON c.id = x.call_id AND c.deleted_at IS NULL`
	v.compare("call_outline_sections", want.sections, `SELECT x.call_id || '¦' || section_index || '¦' || coalesce(section,'')
		|| '¦' || coalesce(start_time::text,'') || '¦' || coalesce(duration::text,'') FROM call_outline_sections x`+live)
	v.compare("call_outline_items", want.items, `SELECT x.call_id || '¦' || section_index || '¦' || item_index || '¦' || coalesce(text,'')
		|| '¦' || coalesce(start_time::text,'') FROM call_outline_items x`+live)
	v.compare("call_highlights", want.highlights, `SELECT x.call_id || '¦' || highlight_index || '¦' || coalesce(x.title,'')
		FROM call_highlights x`+live)
	v.compare("call_highlight_items", want.highlightItems, `SELECT x.call_id || '¦' || highlight_index || '¦' || item_index
		|| '¦' || coalesce(text,'') || '¦' || coalesce(array_to_string(start_times, ','),'') FROM call_highlight_items x`+live)
	v.compare("call_key_points", want.keyPoints, `SELECT x.call_id || '¦' || point_index || '¦' || coalesce(text,'')
		FROM call_key_points x`+live)
	v.compare("call_structure", want.structure, `SELECT x.call_id || '¦' || structure_index || '¦' || coalesce(name,'')
		|| '¦' || coalesce(x.duration::text,'') FROM call_structure x`+live)
}

// assertUserAndTrackerRowsMatchGong compares the rows derived from the users and
// tracker definitions Gong lists at virtual time at with the tables (of the records
// not deleted).
func (v *env) assertUserAndTrackerRowsMatchGong(at time.Time) {
	v.t.Helper()
	ds := v.fake.Dataset()
	var aliases, languages, urls, trackerLangs, keywords []string
	for _, u := range ds.UsersAt(at) {
		for _, a := range u.EmailAliases {
			aliases = append(aliases, u.ID+"¦"+a)
		}
		for _, l := range u.SpokenLanguages {
			languages = append(languages, fmt.Sprintf("%s¦%s¦%v", u.ID, l.Language, l.Primary))
		}
		for _, m := range u.PersonalMeetingURLs {
			urls = append(urls, u.ID+"¦"+m)
		}
	}
	for _, t := range ds.Trackers() {
		for _, lk := range t.LanguageKeywords {
			trackerLangs = append(trackerLangs, fmt.Sprintf("%s¦%s¦%v", t.TrackerID, lk.Language, lk.IncludeRelatedForms))
			for _, k := range lk.Keywords {
				keywords = append(keywords, t.TrackerID+"¦"+lk.Language+"¦"+k)
			}
		}
	}
	if len(aliases) == 0 || len(languages) == 0 || len(urls) == 0 || len(keywords) == 0 {
		v.t.Fatalf("the dataset gives %d aliases, %d languages, %d meeting URLs, %d keywords: the comparison proves little",
			len(aliases), len(languages), len(urls), len(keywords))
	}
	const liveUser = ` JOIN users u ON u.id = x.user_id AND u.deleted_at IS NULL`
	const liveTracker = ` JOIN trackers t ON t.id = x.tracker_id AND t.deleted_at IS NULL`
	v.compare("user_email_aliases", aliases, `SELECT x.user_id || '¦' || email_alias FROM user_email_aliases x`+liveUser)
	v.compare("user_spoken_languages", languages, `SELECT x.user_id || '¦' || language || '¦' || coalesce(is_primary::text,'')
		FROM user_spoken_languages x`+liveUser)
	v.compare("user_meeting_urls", urls, `SELECT x.user_id || '¦' || url FROM user_meeting_urls x`+liveUser)
	v.compare("tracker_languages", trackerLangs, `SELECT x.tracker_id || '¦' || language || '¦' || coalesce(include_related_forms::text,'')
		FROM tracker_languages x`+liveTracker)
	v.compare("tracker_keywords", keywords, `SELECT x.tracker_id || '¦' || language || '¦' || keyword FROM tracker_keywords x`+liveTracker)
}
