package world

import (
	"fmt"
	"time"
)

// Station ids of the hero's Sunday ride.
const (
	heroStationID = "station:alexandre-dumas"
	mallStationID = "station:chatelet"

	heroLeaveHour  = 11 * time.Hour
	heroCafeLength = 2*time.Hour + 5*time.Minute
)

// heroSunday plays the seed's Sunday moment by moment (DESIGN.md's table),
// from waking to the ride home. plan() closes the day (home, bed).
func (b *builder) heroSunday() {
	r, p, c, plan := b.r, b.p, b.c, b.plan
	home := p.Home
	wake := plan.Sleep.Wake
	phone := p.Phone

	// wake-up: the phone first (FOMO): social, news, messages, a game; SMS
	// in and out, a call, a few searches.
	b.moment = MomentWakeUp
	t := wake.Add(p.Habits.PhoneDelay)
	for _, s := range []struct {
		app string
		d   time.Duration
	}{
		{"Instagram", 5 * time.Minute}, {"Messages", time.Minute}, {"Le Monde", 6 * time.Minute},
		{"WhatsApp", 2 * time.Minute}, {"Facebook", 4 * time.Minute}, {"Candy Crush", 7 * time.Minute},
	} {
		d := s.d + between(r, 0, 90*time.Second)
		plan.Apps = append(plan.Apps, AppSession{Start: t, Duration: d, App: s.app, Device: phone, Moment: b.moment})
		t = t.Add(d + between(r, 5*time.Second, 40*time.Second))
	}
	plan.Messages = append(plan.Messages,
		Message{Time: wake.Add(between(r, 90*time.Second, 3*time.Minute)), Kind: "sms", Peer: b.heroPeer(0), Moment: b.moment},
		Message{Time: wake.Add(between(r, 6*time.Minute, 7*time.Minute)), Kind: "sms", Peer: b.heroPeer(0), Outgoing: true, Moment: b.moment},
		Message{Time: wake.Add(between(r, 15*time.Minute, 17*time.Minute)), Kind: "sms", Peer: b.heroPeer(1), Outgoing: true, Moment: b.moment},
		Message{Time: t.Add(time.Minute), Kind: "call", Peer: b.heroPeer(2), Duration: between(r, 5*time.Minute, 9*time.Minute), Moment: b.moment},
	)
	for i, topic := range p.Habits.Topics[:3] {
		plan.Searches = append(plan.Searches, Search{Time: wake.Add(time.Duration(8+3*i)*time.Minute + between(r, 0, time.Minute)),
			Topic: topic, Device: phone, Moment: b.moment})
	}
	b.stay(home, ActHome, t.Add(12*time.Minute))

	// morning: at home, syncs the wristband, music.
	b.moment = MomentMorning
	leave := b.w.Date(1).Add(heroLeaveHour + jitter(r, 5*time.Minute))
	sync := b.t.Add(between(r, 3*time.Minute, 10*time.Minute))
	plan.Apps = append(plan.Apps,
		AppSession{Start: sync, Duration: between(r, 60*time.Second, 150*time.Second), App: WristbandApp, Device: phone, Moment: b.moment},
		AppSession{Start: sync.Add(5 * time.Minute), Duration: between(r, 25*time.Minute, 40*time.Minute), App: "Deezer", Device: phone, Moment: b.moment},
	)
	b.stay(home, ActHome, leave)

	// late-morning: walks to her station, tops her pass up with her card at
	// the machine, rides to Châtelet (line 2, change at Nation, line 1).
	b.moment = MomentLateMorning
	b.topUp = true
	start := b.t
	b.ride(c.Place(MallID), c.Station(heroStationID), c.Station(mallStationID))
	plan.Apps = append(plan.Apps, AppSession{Start: start.Add(2 * time.Minute), Duration: 90 * time.Second, App: "Citymapper", Device: phone, Moment: b.moment})

	// mall: she walks past shops that know she is near.
	b.moment = MomentMall
	mall := c.Place(MallID)
	b.stayFor(mall, ActShopping, between(r, 2*time.Minute, 4*time.Minute))
	for _, id := range []string{"shop:chaussures-forum", "shop:electro-forum", "shop:pharmacie-forum", "shop:maison-lin"} {
		b.stayFor(c.Place(id), ActShopping, between(r, 3*time.Minute, 7*time.Minute))
	}
	// A shop that has her number (a past purchase, a newsletter) texts her
	// a promotion while she is in the mall; the operator logs the SMS with
	// the cell that served it.
	plan.Messages = append(plan.Messages, Message{Time: b.t.Add(-6 * time.Minute), Kind: "sms", Peer: ShopSMSNumber, Moment: b.moment})

	// fnac: picks two or three books of her genres, card + loyalty card.
	b.moment = MomentFnac
	fnac := c.Place(FnacID)
	b.stayFor(fnac, ActShopping, between(r, 25*time.Minute, 35*time.Minute))
	b.pay(b.t.Add(-between(r, 3*time.Minute, 5*time.Minute)), fnac, b.chooseBooks(2+r.IntN(2)), nil)

	// starbucks: her order in her own cup, card + loyalty, two hours on the
	// tablet on the café's Wi-Fi.
	b.moment = MomentStarbucks
	cafe := c.Place(StarbucksID)
	start = b.t
	b.cafe(cafe, heroCafeLength+jitter(r, 5*time.Minute), true)
	plan.Apps = append(plan.Apps,
		AppSession{Start: start.Add(15 * time.Minute), Duration: between(r, 3*time.Minute, 6*time.Minute), App: "Instagram", Device: phone, Moment: b.moment},
		AppSession{Start: start.Add(70 * time.Minute), Duration: between(r, 2*time.Minute, 4*time.Minute), App: "WhatsApp", Device: phone, Moment: b.moment},
	)
	plan.Searches = append(plan.Searches, Search{Time: start.Add(40 * time.Minute), Topic: p.Habits.Topics[3%len(p.Habits.Topics)], Device: p.Tablet, Moment: b.moment})

	// evening: rides home, home until bed; the wristband counts the day.
	b.moment = MomentEvening
	b.ride(home, c.Station(mallStationID), c.Station(heroStationID))
	t = b.t.Add(between(r, 20*time.Minute, 40*time.Minute))
	last := b.bed.Add(-15 * time.Minute)
	for _, app := range []string{"Instagram", "Messages", "Le Monde", "Candy Crush", "Facebook"} {
		d := sessionLength(r, app)
		if t.Add(d).After(last) {
			break
		}
		plan.Apps = append(plan.Apps, AppSession{Start: t, Duration: d, App: app, Device: phone, Moment: b.moment})
		t = t.Add(d + between(r, 20*time.Minute, 70*time.Minute))
	}
	if m := b.t.Add(between(r, 90*time.Minute, 150*time.Minute)); m.Before(last) {
		plan.Messages = append(plan.Messages, Message{Time: m, Kind: "sms", Peer: b.heroPeer(1), Moment: b.moment})
	}
}

// heroPeer returns the hero's i-th contact's number, or an outside number
// when the population is too small for her to have that many.
func (b *builder) heroPeer(i int) string {
	cs := b.p.Habits.Contacts
	if i < len(cs) {
		if c := b.w.Person(cs[i]); c != nil {
			return c.Phone.MSISDN
		}
	}
	return fmt.Sprintf("+33700000%d00", i%10)
}

// ShopSMSNumber is the short number the mall's shops send promotional texts
// from (French commercial short codes have five digits).
const ShopSMSNumber = "38500"
