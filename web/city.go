package web

import (
	"encoding/json"
	"strings"

	"exhaust/world"
)

// cityMap is the city's geometry as the page draws it.
type cityMap struct {
	Places   []placeBrief `json:"places"`
	Stations []station    `json:"stations"`
	Lines    []line       `json:"lines"`
	Towers   []point      `json:"towers"`
	APs      []ap         `json:"aps"`
	Homes    []placeBrief `json:"homes"`
}

type point struct {
	ID  string  `json:"id"`
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

type station struct {
	point
	Name  string   `json:"name"`
	Lines []string `json:"lines"`
}

type line struct {
	Name     string   `json:"name"`
	Stations []string `json:"stations"`
}

type ap struct {
	point
	SSID  string `json:"ssid"`
	Place string `json:"place"`
}

// cityJSON encodes the city's geometry once: it never changes during a run.
func cityJSON(w *world.World) ([]byte, error) {
	c := w.City
	m := cityMap{Places: []placeBrief{}, Homes: []placeBrief{}}
	for _, p := range c.Places {
		b := placeBrief{ID: p.ID, Name: p.Name, Lat: p.Point.Lat, Lon: p.Point.Lon, Kind: string(p.Kind)}
		switch p.Kind {
		case world.KindStation:
			continue // drawn as stations
		case world.KindHome:
			b.Name = strings.TrimPrefix(p.ID, "home:")
			m.Homes = append(m.Homes, b)
		default:
			b.InMall = p.Mall != nil
			switch p.Kind {
			case world.KindOffice, world.KindShop, world.KindCafe, world.KindGym, world.KindHotel:
				b.Minor = !b.InMall
			}
			m.Places = append(m.Places, b)
		}
	}
	for _, s := range c.Stations {
		m.Stations = append(m.Stations, station{point: point{s.ID, s.Point.Lat, s.Point.Lon}, Name: s.Name, Lines: s.Lines})
	}
	for _, l := range c.Lines {
		ln := line{Name: l.Name}
		for _, s := range l.Stations {
			ln.Stations = append(ln.Stations, s.ID)
		}
		m.Lines = append(m.Lines, ln)
	}
	for _, t := range c.Towers {
		m.Towers = append(m.Towers, point{t.ID, t.Point.Lat, t.Point.Lon})
	}
	for _, a := range c.APs {
		place := ""
		if a.Place != nil {
			place = a.Place.ID
		}
		m.APs = append(m.APs, ap{point: point{a.BSSID, a.Point.Lat, a.Point.Lon}, SSID: a.SSID, Place: place})
	}
	return json.Marshal(m)
}
