package census

// Paper is a published unicity measurement the report is read against.
type Paper struct {
	Title      string `json:"title"`
	Cite       string `json:"cite"`
	Data       string `json:"data"`       // whose records, how many, how long
	Resolution string `json:"resolution"` // the lens it matches, "antenna × hour"
	// Unicity holds the figures the paper gives, keyed by p ("4": ε4).
	Unicity map[string]float64 `json:"unicity"`
	// Note says which figures are read off a plot or bounded rather than
	// stated.
	Note string `json:"note"`
}

// Papers are the two measurements the city's curves are read against.
var Papers = []Paper{
	{
		Title:      "Unique in the Crowd: The privacy bounds of human mobility",
		Cite:       "de Montjoye, Hidalgo, Verleysen, Blondel, Scientific Reports 3:1376 (2013)",
		Data:       "mobile phone records of 1.5 million people over 15 months",
		Resolution: AntennaHour.Name,
		Unicity:    map[string]float64{"2": 0.50, "4": 0.95},
		Note:       "ε4 = 0.95 is stated in the abstract; ε2 is given as more than 0.5 (a lower bound, read as about 0.5)",
	},
	{
		Title:      "Unique in the shopping mall: On the reidentifiability of credit card metadata",
		Cite:       "de Montjoye, Radaelli, Singh, Pentland, Science 347(6221):536-539 (2015)",
		Data:       "credit card records of 1.1 million people over 3 months, 10,000 shops",
		Resolution: ShopDay.Name,
		Unicity:    map[string]float64{"4": 0.90},
		Note:       "ε4 = 0.90 is stated in the abstract; the curve's lower points (ε2 about 0.4-0.5) are only read off the paper's figure and are not given here",
	},
}
