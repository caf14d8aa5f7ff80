// Package deploy holds the files that install igtoken on a machine: systemd
// units and a crontab example. It has no Go code of its own; its tests check
// that the units are valid and hardened.
package deploy
