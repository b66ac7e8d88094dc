package world

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"exhaust/event"
)

// Identifiers must never collide, whatever the population: two strangers
// sharing a card token or an e-mail address would be joined by any
// aggregator, and the demonstration would lie. Each one is therefore a
// bijection of something that is already unique (the population index, a
// device's hardware MAC, a person-day-number triple), scrambled by the
// seed so that it looks random. The sizes below are the limits of that
// construction; MaxPersons is the smallest of them.

// MaxPersons is the largest population whose identifiers are unique by
// construction: IMEI serials are 6 digits per type allocation code, and
// every phone model could in principle be drawn by everyone.
const MaxPersons = 1_000_000

// ErrTooManyPersons is returned by New when the population is larger than
// MaxPersons.
var ErrTooManyPersons = errors.New("world: too many persons for unique identifiers")

// unique maps a population index to a number in [0, mod) that no other
// index gets (an affine bijection: mult is coprime with mod), scrambled by
// the seed. Identifiers built on it never collide, whatever the population.
func unique(seed int64, purpose string, index int, mult, mod uint64) uint64 {
	return (uint64(index)*mult + seedOffset(seed, purpose, mod)) % mod
}

// permute64 is a bijection of the 64-bit integers keyed by the seed and a
// purpose: distinct inputs give distinct outputs that look random. It is two
// rounds of MurmurHash3's finaliser (xor-shifts and odd multiplications,
// each invertible) around key additions.
func permute64(seed int64, purpose string, x uint64) uint64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	k := hashBytes(string(b[:]), "permute", purpose)
	x = fmix64(x ^ binary.BigEndian.Uint64(k[:8]))
	return fmix64(x + binary.BigEndian.Uint64(k[8:16]))
}

// fmix64 is MurmurHash3's 64-bit finaliser, a bijection.
func fmix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// permuteBits is a bijection of [0, 2^bits) keyed by key: the same
// invertible steps as fmix64, kept within bits (an xor-shift of a masked
// value and a multiplication by an odd number modulo 2^bits are both
// invertible).
func permuteBits(x, key uint64, bits uint) uint64 {
	mask := uint64(1)<<bits - 1
	s := bits / 2
	x = (x ^ key) & mask
	for _, m := range [...]uint64{0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53} {
		x ^= x >> s
		x = x * m & mask
	}
	return x ^ x>>s
}

// deviceModel is a device model with its vendor's identifiers and the
// operating system it runs, which decides how it hides its MAC address.
type deviceModel struct {
	name string
	oui  string // vendor MAC prefix (universally administered)
	tac  string // IMEI type allocation code (phones)
	year int    // release year
	ios  bool   // iOS or iPadOS; Android otherwise
	// osMajor is the newest major OS version the model runs: what it runs
	// in 2026, as people install updates when they are offered.
	osMajor int
	// share is the model's weight among devices in use (see phoneModels).
	share float64
}

// OS versions from which a device hides its MAC address.
const (
	// iosScanRandom, androidScanRandom: probe requests sent while not
	// associated carry a random address. iOS 8 (2014, Apple Platform
	// Security, "Wi-Fi privacy"); Android 8.0 (2017, Android developers,
	// "Privacy: MAC randomization"). Earlier Android releases left it to the
	// vendor, and most vendors did not (Martin et al., "A Study of MAC
	// Address Randomization in Mobile Devices and When It Fails", PETS 2017).
	iosScanRandom     = 8
	androidScanRandom = 8
	// iosPrivateAddress, androidPrivateAddress: each network gets its own
	// stable random address by default when joining. iOS/iPadOS 14 (2020,
	// "Private Wi-Fi address"); Android 10 (2019, "randomized MAC" by
	// default for new networks).
	iosPrivateAddress     = 14
	androidPrivateAddress = 10
)

// scansRandomised reports whether the model's probe requests carry a random
// address while it is not associated.
func (m deviceModel) scansRandomised() bool {
	if m.ios {
		return m.osMajor >= iosScanRandom
	}
	return m.osMajor >= androidScanRandom
}

// privateAddressDefault reports whether the model gives each network its
// own address by default.
func (m deviceModel) privateAddressDefault() bool {
	if m.ios {
		return m.osMajor >= iosPrivateAddress
	}
	return m.osMajor >= androidPrivateAddress
}

// Device models in use in Paris in 2026. Shares are a plausible mix, not a
// market survey: iOS 38 % of phones (StatCounter's mobile OS shares for
// France have put it between a third and two fifths in recent years); an
// average smartphone is kept about three years, so half the phones are from
// the last three years and 16 % are 2019 or older; and a tail of phones no
// longer updated, 5.1 % of them on an OS without private addresses
// (Android 9 and older, iOS 12 and older: StatCounter's version shares put
// Android 9 and older under a tenth of Android phones worldwide in 2025,
// fewer in France, and almost no iPhone in use is stuck below iOS 14) and
// 0.8 % too old to randomise even their scans. The resulting figures are in
// docs/world.md. MAC prefixes are universally administered OUIs in the
// vendors' style (several are theirs); type allocation codes are made up
// but shaped like real ones (35… GSMA allocations, 86… Chinese ones), one
// per model.
var (
	phoneModels = []deviceModel{
		{"Apple iPhone 15", "3c:22:fb", "35397611", 2023, true, 18, 0.06},
		{"Apple iPhone 16", "3c:22:fb", "35671822", 2024, true, 18, 0.05},
		{"Apple iPhone 14", "f0:18:98", "35204116", 2022, true, 18, 0.05},
		{"Apple iPhone 13", "3c:22:fb", "35328211", 2021, true, 18, 0.05},
		{"Apple iPhone 12", "f0:18:98", "35299611", 2020, true, 18, 0.04},
		{"Apple iPhone SE (2nd generation)", "ac:bc:32", "35679410", 2020, true, 18, 0.03},
		{"Apple iPhone 11", "ac:bc:32", "35391610", 2019, true, 18, 0.03},
		{"Apple iPhone XR", "ac:bc:32", "35720209", 2018, true, 18, 0.015},
		{"Apple iPhone 8", "f0:18:98", "35319608", 2017, true, 16, 0.01},
		{"Apple iPhone 6", "ac:bc:32", "35205906", 2014, true, 12, 0.003},
		{"Samsung Galaxy S24", "8c:f5:a3", "35260415", 2024, false, 15, 0.05},
		{"Samsung Galaxy A55", "8c:f5:a3", "35455716", 2024, false, 15, 0.06},
		{"Samsung Galaxy A54", "8c:f5:a3", "35073582", 2023, false, 15, 0.06},
		{"Samsung Galaxy A15", "5c:e8:eb", "35811423", 2023, false, 15, 0.05},
		{"Samsung Galaxy A52", "5c:e8:eb", "35617912", 2021, false, 14, 0.04},
		{"Samsung Galaxy A12", "5c:e8:eb", "35431811", 2020, false, 12, 0.03},
		{"Samsung Galaxy A10", "8c:f5:a3", "35248310", 2019, false, 11, 0.02},
		{"Samsung Galaxy J5 (2017)", "5c:e8:eb", "35738708", 2017, false, 9, 0.015},
		{"Samsung Galaxy S7", "8c:f5:a3", "35733207", 2016, false, 8, 0.01},
		{"Google Pixel 8", "f4:f5:d8", "35882160", 2023, false, 16, 0.03},
		{"Google Pixel 6a", "f4:f5:d8", "35170522", 2022, false, 15, 0.02},
		{"Xiaomi Redmi Note 13", "64:09:80", "86701506", 2024, false, 14, 0.05},
		{"Xiaomi Redmi Note 10", "64:09:80", "86496705", 2021, false, 13, 0.04},
		{"Xiaomi Redmi Note 8", "64:09:80", "86815304", 2019, false, 11, 0.02},
		{"Huawei P20 lite", "00:e0:fc", "86379004", 2018, false, 9, 0.01},
		{"Oppo A78", "a4:3b:0e", "86233507", 2023, false, 14, 0.03},
		{"Fairphone 5", "0c:8e:29", "35190720", 2023, false, 15, 0.01},
		{"Wiko View", "00:08:22", "35386808", 2017, false, 7, 0.007},
	}
	tabletModels = []deviceModel{
		{"Apple iPad Air", "3c:22:fb", "", 2022, true, 18, 0.35},
		{"Apple iPad (9th generation)", "f0:18:98", "", 2021, true, 18, 0.25},
		{"Samsung Galaxy Tab S9", "8c:f5:a3", "", 2023, false, 15, 0.15},
		{"Samsung Galaxy Tab A8", "5c:e8:eb", "", 2021, false, 14, 0.15},
		{"Lenovo Tab P12", "a4:4e:31", "", 2023, false, 14, 0.10},
	}
	wristbandModels = []string{"Decathlon OnCoach 100", "Fitbit Inspire 3", "Xiaomi Smart Band 8"}

	modelByName = func() map[string]deviceModel {
		m := map[string]deviceModel{}
		for _, d := range slices.Concat(phoneModels, tabletModels) {
			m[d.name] = d
		}
		return m
	}()
)

// macOptOut is the share of people who turn per-network addresses off on a
// phone that has them on by default. No survey counts them; the setting is
// per network and hidden, so few touch it, mostly because a network filters
// by MAC (some home routers, company networks) or, like the hero, because
// they were told it would help them. An assumption: 5 %.
const macOptOut = 0.05

// drawModel draws a model in proportion to the shares.
func drawModel(r *rand.Rand, models []deviceModel) deviceModel {
	total := 0.0
	for _, m := range models {
		total += m.share
	}
	x := r.Float64() * total
	for _, m := range models {
		if x -= m.share; x < 0 {
			return m
		}
	}
	return models[len(models)-1]
}

// modelNamed returns the model with the given name (false if unknown, as
// for devices built by hand in tests).
func modelNamed(name string) (deviceModel, bool) {
	m, ok := modelByName[name]
	return m, ok
}

// E-mail addresses: a local part drawn from a few patterns, a domain drawn
// from a few providers, and when the address is taken, a number, as a
// provider's sign-up page suggests. Only reserved names are used (RFC 2606
// and RFC 6761: example.net, example.com, example.org and anything under
// .example), so no address can ever reach a real mailbox.
var (
	// mailPatterns are how people build the local part. No published
	// statistic exists; the mix follows what providers propose first
	// (first.last) and the usual fallbacks. Shares add up to 1.
	mailPatterns = []struct {
		share float64
		local func(r *rand.Rand, first, last string) string
	}{
		{0.45, func(_ *rand.Rand, f, l string) string { return f + "." + l }},                // olivier.lemaire
		{0.15, func(_ *rand.Rand, f, l string) string { return f + l }},                      // olivierlemaire
		{0.10, func(_ *rand.Rand, f, l string) string { return f[:1] + "." + l }},            // o.lemaire
		{0.10, func(_ *rand.Rand, f, l string) string { return f[:1] + l }},                  // olemaire
		{0.12, func(r *rand.Rand, f, l string) string { return f + "." + l + birthYear(r) }}, // olivier.lemaire84
		{0.08, func(_ *rand.Rand, f, l string) string { return l + "." + f }},                // lemaire.olivier
	}
	// mailDomains stand for the providers French people use, in rough order
	// of their audience (Gmail, Orange, Outlook/Hotmail, Free, Yahoo, SFR,
	// La Poste), then other providers, employers and own domains. Shares add
	// up to 1 and are approximate.
	mailDomains = []struct {
		share  float64
		domain string
	}{
		{0.34, "gmail.example"},
		{0.16, "orange.example"},
		{0.12, "outlook.example"},
		{0.08, "free.example"},
		{0.06, "yahoo.example"},
		{0.05, "sfr.example"},
		{0.03, "laposte.example"},
		{0.08, "example.net"},
		{0.05, "example.com"},
		{0.03, "example.org"},
	}
)

// birthYear returns two digits of a plausible adult's birth year, the
// number people most often add to an address.
func birthYear(r *rand.Rand) string {
	return fmt.Sprintf("%02d", (1950+r.IntN(58))%100)
}

// drawEmail draws the address a person would ask for.
func drawEmail(r *rand.Rand, first, last string) (local, domain string) {
	f, l := mailSlug(first), mailSlug(last)
	x := r.Float64()
	local = mailPatterns[0].local(r, f, l)
	for _, p := range mailPatterns {
		if x -= p.share; x < 0 {
			local = p.local(r, f, l)
			break
		}
	}
	y := r.Float64()
	domain = mailDomains[0].domain
	for _, d := range mailDomains {
		if y -= d.share; y < 0 {
			domain = d.domain
			break
		}
	}
	return local, domain
}

// mailSlug turns a name into the letters of an address: lower case, accents
// dropped, spaces and apostrophes removed, hyphens kept (Le Gall → legall,
// Jean-Pierre → jean-pierre).
func mailSlug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(mailAccents.Replace(name)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var mailAccents = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "ã", "a", "á", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "í", "i", "ô", "o", "ö", "o", "õ", "o", "ó", "o", "ù", "u", "û", "u", "ü", "u", "ú", "u",
	"ç", "c", "ñ", "n", "œ", "oe", "æ", "ae", "ÿ", "y",
	"É", "e", "È", "e", "Ê", "e", "À", "a", "Ç", "c", "Î", "i", "Ô", "o", "Ö", "o", "Ü", "u",
)

// addressBook hands out e-mail addresses in population order, so an
// address is never given twice and a person's address depends only on the
// people before them: adding people at the end changes no one's.
type addressBook struct {
	// taken holds a 64-bit hash of every address handed out. A hash
	// collision can only make an address look taken and give its owner a
	// number it did not need; it can never give one address twice.
	taken map[uint64]struct{}
}

func newAddressBook() *addressBook { return &addressBook{taken: map[uint64]struct{}{}} }

// claim returns local@domain, or local2@domain, local3@domain… the first
// one free, and marks it taken.
func (b *addressBook) claim(local, domain string) string {
	for n := 1; ; n++ {
		addr := local
		if n > 1 {
			addr += strconv.Itoa(n)
		}
		addr += "@" + domain
		h := fnv64(addr)
		if _, ok := b.taken[h]; !ok {
			b.taken[h] = struct{}{}
			return addr
		}
	}
}

// fnv64 is the 64-bit FNV-1a hash of s.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// macFrom builds a MAC address from a vendor prefix and a 24-bit NIC part.
func macFrom(oui string, nic uint64) string {
	return fmt.Sprintf("%s:%02x:%02x:%02x", oui, byte(nic>>16), byte(nic>>8), byte(nic))
}

// imei builds a 15-digit IMEI: type allocation code, 6-digit serial, Luhn
// check digit.
func imei(tac string, serial uint64) string {
	body := fmt.Sprintf("%s%06d", tac, serial)
	return body + strconv.Itoa(luhnDigit(body))
}

// luhnDigit returns the Luhn check digit for the digits of body.
func luhnDigit(body string) int {
	sum := 0
	double := true // the rightmost digit of body is doubled
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// LuhnValid reports whether a digit string passes the Luhn check (IMEIs,
// card numbers).
func LuhnValid(s string) bool {
	if len(s) < 2 {
		return false
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return luhnDigit(s[:len(s)-1]) == int(s[len(s)-1]-'0')
}

// adID returns a version-4 UUID whose 64 bits u, a unique number, make it
// unique, the remaining random bits coming from h.
func adID(u uint64, h [32]byte) string {
	b := h[:16]
	var x [8]byte
	binary.BigEndian.PutUint64(x[:], u)
	// Bytes 0–5 and 10–15 are free of the version and variant bits.
	copy(b[0:6], x[0:6])
	copy(b[10:12], x[6:8])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Randomised MAC addresses are 46 random-looking bits with the locally
// administered bit set and the multicast bit clear. They are a bijection
// (permuteBits) of a 22-bit field and the device's 24-bit NIC part, which
// is unique among the world's devices: two devices never share one, and a
// randomised address never equals a hardware one (whose locally
// administered bit is clear).
const (
	// macKey only scrambles: any constant does.
	macKey = 0x2545F4914F6CDD1D
	// scanField marks the field of a scan address (the day follows); a
	// per-network address has the bit clear and a hash of the SSID.
	scanField = 1 << 21
	fieldMask = scanField - 1
)

// localMAC formats the randomised address of field and nic.
func localMAC(field, nic uint64) string {
	y := permuteBits(field<<24|nic&0xffffff, macKey, 46)
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x",
		byte(y>>40)<<2|0x02, byte(y>>32), byte(y>>24), byte(y>>16), byte(y>>8), byte(y))
}

// nic returns the last three octets of d's hardware MAC.
func (d *Device) nic() uint64 {
	var n uint64
	for _, part := range strings.Split(d.MAC, ":")[3:] {
		v, _ := strconv.ParseUint(part, 16, 8)
		n = n<<8 | v
	}
	return n
}

// WifiMAC returns the MAC address d shows to the Wi-Fi network ssid: its
// hardware MAC, or when randomising a stable per-network address (as iOS
// and Android do), locally administered and unicast, derived from the
// hardware MAC and the SSID. Two devices never get the same one.
func (d *Device) WifiMAC(ssid string, randomise bool) string {
	if !randomise || d.MAC == "" {
		return d.MAC
	}
	return localMAC(fnv64(ssid)&fieldMask, d.nic())
}

// ScanMAC returns the random address d puts in the probe requests it sends
// on day (1-based) while not associated with any network. Real phones draw
// a new one every scan or every few minutes; the simulation keeps one per
// device and day, which bounds the identifiers the aggregator is handed.
// Since a real one names a scan, not a device, the ground truth does not
// list it (see (*Day).Truth).
func (d *Device) ScanMAC(day int) string {
	if d.MAC == "" {
		return ""
	}
	return localMAC(scanField|uint64(day)&fieldMask, d.nic())
}

// RandomisesScans reports whether d's operating system puts a random
// address in the probe requests it sends while not associated (every phone
// since iOS 8 and Android 8). Devices of unknown models (built by hand in
// tests) are assumed not to.
func (d *Device) RandomisesScans() bool {
	m, ok := modelNamed(d.Model)
	return ok && m.scansRandomised()
}

// MACFor returns the MAC p's device shows to network ssid under p's privacy
// settings: when joining it, and in the probe requests it sends while
// associated with it.
func (p *Person) MACFor(d *Device, ssid string) string {
	return d.WifiMAC(ssid, p.Privacy.MACRandomisation)
}

// ProbeMAC returns the MAC p's device d puts in the probe requests it
// sends on day while not associated: a scan address if its OS randomises
// scans or p randomises per network (no OS does one without the other),
// its hardware MAC otherwise. While associated, a device probes with the
// network's address (MACFor).
func (p *Person) ProbeMAC(d *Device, day int) string {
	if d.RandomisesScans() || p.Privacy.MACRandomisation {
		return d.ScanMAC(day)
	}
	return d.MAC
}

// scanAddresses returns the scan addresses p's devices use on day, where
// they differ from the hardware MAC.
func (p *Person) scanAddresses(day int) []event.ID {
	var ids []event.ID
	for _, d := range []*Device{p.Phone, p.Tablet} {
		if d != nil && d.MAC != "" {
			if m := p.ProbeMAC(d, day); m != d.MAC {
				ids = append(ids, event.ID{Kind: event.MAC, Value: m})
			}
		}
	}
	return ids
}

// Identifiers returns every identifier p can emit, sorted by kind then value,
// without duplicates: the ground truth the aggregator is scored against.
// It includes those p's extension values give (Extension.Identifiers).
// Single tickets are per day: see (*Day).Truth.
func (p *Person) Identifiers(c *City) []event.ID {
	var ids []event.ID
	add := func(k event.IDKind, v string) {
		if v != "" {
			ids = append(ids, event.ID{Kind: k, Value: v})
		}
	}
	for _, d := range []*Device{p.Phone, p.Tablet} {
		if d == nil {
			continue
		}
		add(event.IMSI, d.IMSI)
		add(event.IMEI, d.IMEI)
		add(event.MSISDN, d.MSISDN)
		add(event.ADID, d.ADID)
		add(event.MAC, d.MAC)
		if p.Privacy.MACRandomisation && c != nil {
			for _, ssid := range c.SSIDs() {
				add(event.MAC, d.WifiMAC(ssid, true))
			}
		}
	}
	if p.Wristband != nil {
		add(event.Wristband, p.Wristband.Serial)
	}
	add(event.Card, p.CardToken)
	add(event.Pass, p.PassID)
	for _, v := range p.Loyalty {
		add(event.Loyalty, v)
	}
	add(event.Email, p.Email)
	ids = append(ids, p.extIdentifiers()...)
	return sortIDs(ids)
}

// sortIDs sorts identifiers by kind then value and drops duplicates.
func sortIDs(ids []event.ID) []event.ID {
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Kind != ids[j].Kind {
			return ids[i].Kind < ids[j].Kind
		}
		return ids[i].Value < ids[j].Value
	})
	return slices.Compact(ids)
}
