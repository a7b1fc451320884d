package fakegong

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The library: each workspace's public folders and the calls (or snippets) filed in
// them, about one call in twenty, derived from the dataset's calls so the folders hold
// the fake's calls. A company whose plan has no library is Options.LibraryUnavailable.

// ---- records ----

// LibraryFolder is one public folder of GET /v2/library/folders.
type LibraryFolder struct {
	ID             string    `json:"id"`
	Name           *string   `json:"name"`
	ParentFolderID *string   `json:"parentFolderId"` // null for a top folder
	CreatedBy      *string   `json:"createdBy"`
	Updated        time.Time `json:"updated"`
}

// LibraryCall is one call (or a snippet of it) in a folder (the schema LibraryCall).
// A nil Note or Snippet is left out.
type LibraryCall struct {
	ID      string    `json:"id"`
	Title   *string   `json:"title"`
	Note    *string   `json:"note"`
	AddedBy *string   `json:"addedBy"`
	Created time.Time `json:"created"`
	URL     *string   `json:"url"`
	Snippet *Snippet  `json:"snippet"`
}

// Snippet bounds the part of the call a folder holds, in whole seconds from its start.
type Snippet struct {
	FromSec int64 `json:"fromSec"`
	ToSec   int64 `json:"toSec"`
}

// ---- the dataset's part ----

// libFolder is one public folder of a workspace's library.
type libFolder struct {
	def     LibraryFolder // Updated is computed per answer
	ws      int32
	created int64
	removed int64 // gone from this virtual time on; 0 = never
	entries []libEntry
}

// libEntry is one call (or snippet) filed in a folder.
type libEntry struct {
	call     int32 // index into Dataset.calls
	added    int64
	addedBy  int32
	from, to int64 // the snippet, in seconds; to == 0 is the whole call
	note     string
}

var libraryFolderNames = []string{"Best discovery calls", "Objection handling", "Demos that closed", "Onboarding examples",
	"Pricing conversations", "Cold calls that worked", "Renewals", "Competitor mentions"}

var libraryNotes = []string{"Great example of discovery questions.", "Listen to how the objection is handled.",
	"Clear pricing walkthrough.", "Use this for new hires.", "Strong close at the end."}

// genLibrary files about one call in twenty in one of its workspace's folders. It
// draws from streams of its own, so the calls are what they were without it.
func (d *Dataset) genLibrary(o Options) {
	r := newRNG(d.seed, 0, streamLibrary)
	byWS := make([][]int, len(d.workspaces))
	for w := range d.workspaces {
		pool := d.wsUsers[w]
		if len(pool) == 0 {
			continue
		}
		n := r.between(3, 6)
		first := len(d.library)
		for k := range n {
			f := libFolder{ws: int32(w), created: o.From.Add(-time.Duration(r.uniform(30, 400) * float64(24*time.Hour))).Truncate(time.Second).UnixNano()}
			f.def.ID = strconv.FormatUint(d.newID(&r), 10)
			name := libraryFolderNames[(k+w)%len(libraryFolderNames)]
			f.def.Name = &name
			if k >= 2 {
				parent := d.library[first+r.intn(k)].def.ID
				f.def.ParentFolderID = &parent
			}
			f.def.CreatedBy = strp(d.users[pool[r.intn(len(pool))]].u.ID)
			byWS[w] = append(byWS[w], len(d.library))
			d.library = append(d.library, f)
		}
	}
	for i := range d.calls {
		m := &d.calls[i]
		cr := newRNG(d.seed, m.seq, streamFolderEntries)
		folders := byWS[m.ws]
		if !cr.chance(0.05) || len(folders) == 0 {
			continue
		}
		pool := d.wsUsers[m.ws]
		e := libEntry{call: int32(i), added: m.processed + int64(cr.uniform(1, 72)*float64(time.Hour)), addedBy: pool[cr.intn(len(pool))]}
		if cr.chance(0.7) && m.duration > 60 {
			e.from = int64(cr.uniform(0, 0.8*float64(m.duration)))
			e.to = min(int64(m.duration), e.from+int64(cr.uniform(30, 300)))
		}
		if cr.chance(0.4) {
			e.note = pick(&cr, libraryNotes)
		}
		f := &d.library[folders[cr.intn(len(folders))]]
		f.entries = append(f.entries, e)
	}
}

// folderAt returns the folder as it stands at now: nil when it does not exist (yet,
// or any more). The caller holds d.mu.
func (d *Dataset) folderAt(i int, now int64) *LibraryFolder {
	f := &d.library[i]
	if f.created > now || (f.removed != 0 && now >= f.removed) {
		return nil
	}
	def := f.def
	updated := f.created
	for _, e := range f.entries {
		if d.entryVisible(&e, now) {
			updated = max(updated, e.added)
		}
	}
	def.Updated = d.at(updated)
	return &def
}

func (d *Dataset) entryVisible(e *libEntry, now int64) bool {
	return e.added <= now && d.calls[e.call].visible(now)
}

// LibraryFoldersAt returns what GET /v2/library/folders?workspaceId= answers at
// virtual time t ("" is the company's first workspace, its default), and whether the
// workspace exists.
func (d *Dataset) LibraryFoldersAt(t time.Time, workspaceID string) ([]LibraryFolder, bool) {
	ws := 0
	if workspaceID != "" {
		n, err := strconv.ParseUint(workspaceID, 10, 64)
		if ws = slices.Index(d.wsIDs, n); err != nil || ws < 0 {
			return nil, false
		}
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []LibraryFolder{}
	for i := range d.library {
		if d.library[i].ws != int32(ws) {
			continue
		}
		if f := d.folderAt(i, t.UnixNano()); f != nil {
			out = append(out, *f)
		}
	}
	return out, true
}

// LibraryFolderCallsAt returns what GET /v2/library/folder-content?folderId= answers
// at virtual time t: the folder and its calls in the order they were added; ok is
// false when the folder does not exist then.
func (d *Dataset) LibraryFolderCallsAt(t time.Time, folderID string) (LibraryFolder, []LibraryCall, bool) {
	now := t.UnixNano()
	d.mu.RLock()
	defer d.mu.RUnlock()
	i := slices.IndexFunc(d.library, func(f libFolder) bool { return f.def.ID == folderID })
	if i < 0 {
		return LibraryFolder{}, nil, false
	}
	f := d.folderAt(i, now)
	if f == nil {
		return LibraryFolder{}, nil, false
	}
	entries := slices.Clone(d.library[i].entries)
	slices.SortStableFunc(entries, func(a, b libEntry) int { return cmp.Compare(a.added, b.added) })
	calls := []LibraryCall{}
	for _, e := range entries {
		if !d.entryVisible(&e, now) {
			continue
		}
		m := &d.calls[e.call]
		id := strconv.FormatUint(m.id, 10)
		c := LibraryCall{ID: id, Title: strp(d.titleAt(m, now)), AddedBy: strp(d.users[e.addedBy].u.ID),
			Created: d.at(e.added), URL: strp("https://app.gong.io/call?id=" + id)}
		if e.note != "" {
			c.Note = strp(e.note)
		}
		if e.to != 0 {
			c.Snippet = &Snippet{FromSec: e.from, ToSec: e.to}
		}
		calls = append(calls, c)
	}
	return *f, calls, true
}

// titleAt is the call's title at now: the generated one, or the last title a change
// up to now gave it.
func (d *Dataset) titleAt(m *callMeta, now int64) string {
	title := d.baseTitle(m)
	for _, c := range m.changes {
		if c.at <= now && c.ch.Title != nil {
			title = *c.ch.Title
		}
	}
	return title
}

// LibraryFolderIDs lists the ids of every folder, whatever the time, in the order
// they were made (workspace by workspace).
func (d *Dataset) LibraryFolderIDs() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]string, len(d.library))
	for i := range d.library {
		out[i] = d.library[i].def.ID
	}
	return out
}

// RemoveLibraryFolder takes a folder out of the library from virtual time at on (an
// administrator deleted it, or made it private).
func (d *Dataset) RemoveLibraryFolder(id string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.library, func(f libFolder) bool { return f.def.ID == id })
	if i < 0 {
		return errNoSuch("library folder", id)
	}
	lib := slices.Clone(d.library) // readers may hold the old slice
	lib[i].removed = at.UnixNano()
	d.library = lib
	return nil
}

// ---- serving ----

// The library's endpoints are GET, not paged.

// libraryUnavailable answers as a company whose plan has no library, when the fake
// is one.
func (s *Server) libraryUnavailable(x *exchange) bool {
	switch s.opts.LibraryUnavailable {
	case http.StatusUnauthorized:
		x.fail(http.StatusUnauthorized, "Unauthorized")
	case http.StatusNotFound:
		x.fail(http.StatusNotFound, "Not Found")
	default:
		return false
	}
	return true
}

func (s *Server) handleLibraryFolders(x *exchange) {
	if s.libraryUnavailable(x) {
		return
	}
	folders, ok := s.data.LibraryFoldersAt(s.clock.Now(), x.r.URL.Query().Get("workspaceId"))
	if !ok {
		x.fail(http.StatusBadRequest, "Invalid workspaceId: "+x.r.URL.Query().Get("workspaceId"))
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"folders":[`...)
	for i := range folders {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.libraryFolder(&folders[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

func (s *Server) handleLibraryFolderContent(x *exchange) {
	if s.libraryUnavailable(x) {
		return
	}
	id := x.r.URL.Query().Get("folderId")
	if id == "" {
		x.fail(http.StatusBadRequest, "folderId is required")
		return
	}
	f, calls, ok := s.data.LibraryFolderCallsAt(s.clock.Now(), id)
	if !ok {
		x.fail(http.StatusNotFound, "Folder not found: "+id)
		return
	}
	e := s.enc(x)
	e.requestID(x.id)
	e.b = append(e.b, `,"id":`...)
	e.id(f.ID)
	e.b = append(e.b, `,"name":`...)
	e.strp(f.Name)
	e.b = append(e.b, `,"createdBy":`...)
	e.idp(f.CreatedBy)
	e.b = append(e.b, `,"updated":`...)
	e.time(f.Updated)
	e.b = append(e.b, `,"calls":[`...)
	for i := range calls {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.libraryCall(&calls[i])
	}
	e.b = append(e.b, "]}"...)
	x.sendJSON(http.StatusOK, e.b)
}

// ---- encoding ----

// A library call's absent note and snippet are left out; a folder's absent parent is
// null (a top folder, as Gong's document says).

func (e *enc) libraryFolder(f *LibraryFolder) {
	e.b = append(e.b, `{"id":`...)
	e.id(f.ID)
	e.b = append(e.b, `,"name":`...)
	e.strp(f.Name)
	e.b = append(e.b, `,"parentFolderId":`...)
	e.idp(f.ParentFolderID)
	e.b = append(e.b, `,"createdBy":`...)
	e.idp(f.CreatedBy)
	e.b = append(e.b, `,"updated":`...)
	e.time(f.Updated)
	e.b = append(e.b, '}')
}

func (e *enc) libraryCall(c *LibraryCall) {
	e.b = append(e.b, `{"id":`...)
	e.id(c.ID)
	e.b = append(e.b, `,"title":`...)
	e.strp(c.Title)
	if c.Note != nil {
		e.b = append(e.b, `,"note":`...)
		e.str(*c.Note)
	}
	e.b = append(e.b, `,"addedBy":`...)
	e.idp(c.AddedBy)
	e.b = append(e.b, `,"created":`...)
	e.time(c.Created)
	e.b = append(e.b, `,"url":`...)
	e.strp(c.URL)
	if c.Snippet != nil {
		e.b = append(e.b, `,"snippet":{"fromSec":`...)
		e.int(c.Snippet.FromSec)
		e.b = append(e.b, `,"toSec":`...)
		e.int(c.Snippet.ToSec)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, '}')
}
