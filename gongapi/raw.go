package gongapi

import "encoding/json"

// The stored records keep the bytes Gong sent. Each UnmarshalJSON decodes through a
// method-less copy of the type (so it does not recurse) and then keeps its own copy
// of the input, which the decoder's buffer does not outlive.

// UnmarshalJSON decodes a call and keeps its raw bytes.
func (c *Call) UnmarshalJSON(b []byte) error {
	type plain Call
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Call(p)
	c.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a user and keeps its raw bytes.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*u = User(p)
	u.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a workspace and keeps its raw bytes.
func (w *Workspace) UnmarshalJSON(b []byte) error {
	type plain Workspace
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*w = Workspace(p)
	w.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes a tracker definition and keeps its raw bytes.
func (k *KeywordTracker) UnmarshalJSON(b []byte) error {
	type plain KeywordTracker
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*k = KeywordTracker(p)
	k.Raw = append(json.RawMessage(nil), b...)
	return nil
}
