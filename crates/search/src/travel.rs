//! Travel modes and the speeds that turn distance into travel time.

use poem_openapi::Enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TravelMode {
    Driving,
    /// Same as `driving`.
    Car,
    Walking,
    Bicycling,
    Transit,
}

impl TravelMode {
    /// `car` is reported as `driving`.
    pub fn normalized(self) -> Self {
        match self {
            TravelMode::Car => TravelMode::Driving,
            other => other,
        }
    }

    /// Average door-to-door speed in km/h, a city average.
    pub fn speed_kmh(self) -> f64 {
        match self.normalized() {
            TravelMode::Driving | TravelMode::Car => 30.0,
            TravelMode::Transit => 20.0,
            TravelMode::Bicycling => 15.0,
            TravelMode::Walking => 5.0,
        }
    }

    /// Whole minutes, rounded; at least 1 for any distance above zero.
    pub fn minutes_for(self, distance_km: f64) -> i64 {
        let minutes = (distance_km / self.speed_kmh() * 60.0).round() as i64;
        if distance_km > 0.0 { minutes.max(1) } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travel_time_depends_on_mode_and_is_at_least_a_minute() {
        assert_eq!(TravelMode::Walking.minutes_for(1.0), 12);
        assert_eq!(TravelMode::Car.minutes_for(15.0), 30);
        assert_eq!(TravelMode::Driving.minutes_for(0.01), 1);
        assert_eq!(TravelMode::Transit.minutes_for(0.0), 0);
    }
}
