package gongapi

// DecodeCallsExtensivePage exposes the page decoder to the external benchmarks, which
// need the fake (and the fake imports this package).
func DecodeCallsExtensivePage(body []byte) (*Page[Call], error) {
	ans := &answer{status: 200, body: getBuffer(), attempts: 1}
	ans.body.Write(body)
	defer ans.release()
	return decodePage(callsExtensiveSpec, ans, "")
}
