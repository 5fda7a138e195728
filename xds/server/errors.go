package server

// FileError is a problem with a resource file, or with one resource in
// it: Path is the resource's location in the file ("resources[2]"), with
// the field when one is known ("resources[2].connect_timeout"). Node is
// set when the problem shows only in the resources of that node (its
// nodes/<id>/ overrides combined with the shared files).
type FileError struct {
	File string
	Path string
	Node string
	Err  error
}

func (e *FileError) Error() string {
	s := e.File
	if e.Path != "" {
		s += ": " + e.Path
	}
	if e.Node != "" {
		s += " (node " + `"` + e.Node + `"` + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }
