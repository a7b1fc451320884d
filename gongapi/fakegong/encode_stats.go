package fakegong

// The encoder of the records beyond calls (types_stats.go). Every list of a day's
// activity is sent, [] when empty; a library call's absent note and snippet are left
// out; a folder's absent parent is null (a top folder, as Gong's document says).

func (e *enc) userDayByDayActivity(u *UserDayByDayActivity) {
	e.b = append(e.b, `{"userId":`...)
	e.id(u.UserID)
	e.b = append(e.b, `,"userEmailAddress":`...)
	e.strp(u.UserEmailAddress)
	e.b = append(e.b, `,"userDailyActivityStats":[`...)
	for i := range u.UserDailyActivityStats {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.dailyActivity(&u.UserDailyActivityStats[i])
	}
	e.b = append(e.b, "]}"...)
}

func (e *enc) dailyActivity(a *DailyActivityWithDates) {
	s := e.open()
	for _, f := range []struct {
		key  string
		list []string
	}{
		{"callsAsHost", a.CallsAsHost}, {"callsGaveFeedback", a.CallsGaveFeedback},
		{"callsRequestedFeedback", a.CallsRequestedFeedback}, {"callsReceivedFeedback", a.CallsReceivedFeedback},
		{"ownCallsListenedTo", a.OwnCallsListenedTo}, {"othersCallsListenedTo", a.OthersCallsListenedTo},
		{"callsSharedInternally", a.CallsSharedInternally}, {"callsSharedExternally", a.CallsSharedExternally},
		{"callsAttended", a.CallsAttended}, {"callsCommentsGiven", a.CallsCommentsGiven},
		{"callsCommentsReceived", a.CallsCommentsReceived}, {"callsMarkedAsFeedbackGiven", a.CallsMarkedAsFeedbackGiven},
		{"callsMarkedAsFeedbackReceived", a.CallsMarkedAsFeedbackReceived}, {"callsScorecardsFilled", a.CallsScorecardsFilled},
		{"callsScorecardsReceived", a.CallsScorecardsReceived},
	} {
		e.key(f.key)
		e.strings(f.list, false)
	}
	e.key("fromDate")
	e.time(a.FromDate)
	e.key("toDate")
	e.time(a.ToDate)
	if e.unknown {
		e.b = append(e.b, `,"callsViewedInMobile":["1"]`...)
	}
	e.close(s)
}

func (e *enc) personInteractionStats(p *PersonInteractionStats) {
	e.b = append(e.b, `{"userId":`...)
	e.id(p.UserID)
	e.b = append(e.b, `,"userEmailAddress":`...)
	e.strp(p.UserEmailAddress)
	e.b = append(e.b, `,"personInteractionStats":[`...)
	for i, st := range p.PersonInteractionStats {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, `{"name":`...)
		e.str(st.Name)
		e.b = append(e.b, `,"value":`...)
		e.float(st.Value)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, "]}"...)
}

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

func (e *enc) callOutcomeDefinition(o *CallOutcomeDefinition) {
	e.b = append(e.b, `{"callOutcome":`...)
	e.str(o.CallOutcome)
	e.b = append(e.b, `,"displayOrder":`...)
	e.int(o.DisplayOrder)
	e.b = append(e.b, `,"connectStatus":`...)
	e.str(o.ConnectStatus)
	e.b = append(e.b, `,"sentiment":`...)
	e.str(o.Sentiment)
	e.b = append(e.b, `,"todoAction":`...)
	e.str(o.TodoAction)
	e.b = append(e.b, `,"automation":`...)
	e.str(o.Automation)
	e.b = append(e.b, `,"category":`...)
	e.str(o.Category)
	e.b = append(e.b, '}')
}
