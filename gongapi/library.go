package gongapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// The endpoints of the library: its public folders and the calls each holds.
const (
	EndpointLibraryFolders     = "GET /v2/library/folders"
	EndpointLibraryFolderCalls = "GET /v2/library/folder-content"
)

// LibraryFolder is one public folder of GET /v2/library/folders.
type LibraryFolder struct {
	ID             ID      `json:"id"`
	Name           *string `json:"name"`
	ParentFolderID *ID     `json:"parentFolderId"` // null for a top folder
	CreatedBy      *ID     `json:"createdBy"`
	Updated        Time    `json:"updated"`

	Raw json.RawMessage `json:"-"`
}

// LibraryFoldersResponse answers GET /v2/library/folders (not paginated).
type LibraryFoldersResponse struct {
	RequestID string          `json:"requestId"`
	Folders   []LibraryFolder `json:"folders"`
}

// LibraryCall is one call (or a snippet of it) in a library folder.
type LibraryCall struct {
	ID      ID              `json:"id"` // the call's id
	Title   *string         `json:"title"`
	Note    *string         `json:"note"`
	AddedBy *ID             `json:"addedBy"`
	Created Time            `json:"created"` // when it was added to the folder
	URL     *string         `json:"url"`
	Snippet *LibrarySnippet `json:"snippet"`

	Raw json.RawMessage `json:"-"`
}

// LibrarySnippet is the part of the call the folder holds, in seconds from the
// call's start (Gong documents whole seconds; a fraction or a number in a string is
// taken too).
type LibrarySnippet struct {
	FromSec *json.Number `json:"fromSec"`
	ToSec   *json.Number `json:"toSec"`
}

// LibraryFolderContentResponse answers GET /v2/library/folder-content.
type LibraryFolderContentResponse struct {
	RequestID string        `json:"requestId"`
	ID        ID            `json:"id"`
	Calls     []LibraryCall `json:"calls"`
}

// UnmarshalJSON decodes a library folder and keeps the raw bytes.
func (f *LibraryFolder) UnmarshalJSON(b []byte) error {
	type plain LibraryFolder
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*f = LibraryFolder(p)
	f.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a call of a library folder and keeps the raw bytes.
func (c *LibraryCall) UnmarshalJSON(b []byte) error {
	type plain LibraryCall
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = LibraryCall(p)
	c.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// LibraryFolders lists the public folders of a workspace ("" for the company's
// default) (GET /v2/library/folders). A company whose plan has no library answers
// 401 or 404 here: that is an *APIError of ClassNotAvailable (ErrNotAvailable), not a
// refusal of the credentials. A 401 naming a scope stays ErrScopeMissing; with OAuth,
// a 401 first renews the access token once, as for every endpoint.
func (c *Client) LibraryFolders(ctx context.Context, workspaceID string) ([]LibraryFolder, error) {
	var q url.Values
	if workspaceID != "" {
		q = url.Values{"workspaceId": {workspaceID}}
	}
	method, path := splitEndpoint(EndpointLibraryFolders)
	var resp LibraryFoldersResponse
	if err := c.getJSON(ctx, newRequest(method, path, q, nil), &resp); err != nil {
		return nil, notAvailable(err, "the company's Gong has no library (a plan without it answers its endpoints 401 or 404); "+
			"if every other endpoint is refused too, check the credentials instead")
	}
	for i, f := range resp.Folders {
		if f.ID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointLibraryFolders, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("folder %d: id is empty", i)}
		}
	}
	return resp.Folders, nil
}

// LibraryFolderCalls lists the calls of a library folder (GET
// /v2/library/folder-content). A folder deleted since it was listed answers a 404
// (ErrNotFound).
func (c *Client) LibraryFolderCalls(ctx context.Context, folderID string) ([]LibraryCall, error) {
	if folderID == "" {
		return nil, &APIError{Class: ClassBadRequest, Endpoint: EndpointLibraryFolderCalls, Detail: "folderId is empty"}
	}
	method, path := splitEndpoint(EndpointLibraryFolderCalls)
	var resp LibraryFolderContentResponse
	if err := c.getJSON(ctx, newRequest(method, path, url.Values{"folderId": {folderID}}, nil), &resp); err != nil {
		return nil, err
	}
	for i, call := range resp.Calls {
		if call.ID == "" {
			return nil, &APIError{Class: ClassMalformedResponse, Endpoint: EndpointLibraryFolderCalls, Status: http.StatusOK,
				RequestID: resp.RequestID, Detail: fmt.Sprintf("folder %s, call %d: id is empty", folderID, i)}
		}
	}
	return resp.Calls, nil
}
