#!/usr/bin/perl
# demo-mmdb.pl DIR - writes DIR/demo-city.mmdb and DIR/demo-asn.mmdb: the
# GeoIP and ASN databases of the log demo (scripts/demo --logs) and of the
# log path's test, in the layout of GeoLite2-City and GeoLite2-ASN, for
# the documentation networks only (RFC 5737, RFC 3849) that gen's log
# scenario uses for outside hosts.  The places are made up; the committed
# files are this script's output (libmaxmind-db-writer-perl).
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: demo-mmdb.pl DIR\n";
# The type of each map key of the GeoLite2 layouts.
sub key_type {
	my ($k) = @_;
	return 'map' if $k =~ /^(country|city|names|location)$/;
	return 'double' if $k =~ /^(latitude|longitude)$/;
	return $k eq 'autonomous_system_number' ? 'uint32' : 'utf8_string';
}
# network => [country, city, latitude, longitude, ASN, organisation]
my %nets = (
	'198.51.100.0/24' => ['GB', 'London', 51.5142, -0.0931, 64500, 'Example Transit GB'],
	'203.0.113.0/24'  => ['JP', 'Tokyo', 35.685, 139.7514, 64501, 'Example Hosting JP'],
	'192.0.2.0/24'    => ['DE', 'Frankfurt am Main', 50.1109, 8.6821, 64502, 'Example Cloud DE'],
	'2001:db8::/32'   => ['US', 'New York', 40.7128, -74.006, 64503, 'Example Transit US'],
);

sub write_db {
	my ($file, $type, $data) = @_;
	my $tree = MaxMind::DB::Writer::Tree->new(
		ip_version => 6, record_size => 24, database_type => $type,
		languages => ['en'], description => { en => "netwatch demo $type" },
		map_key_type_callback => \&key_type,
		remove_reserved_networks => 0,
	);
	$tree->insert_network($_, $data->($nets{$_})) for sort keys %nets;
	open my $fh, '>:raw', $file or die "$file: $!\n";
	$tree->write_tree($fh);
	close $fh or die "$file: $!\n";
}

write_db("$dir/demo-city.mmdb", 'Demo-City', sub {
	my ($c, $city, $lat, $lon) = @{ $_[0] };
	{ country => { iso_code => $c }, city => { names => { en => $city } },
	  location => { latitude => $lat, longitude => $lon } } });
write_db("$dir/demo-asn.mmdb", 'Demo-ASN', sub {
	{ autonomous_system_number => $_[0][4],
	  autonomous_system_organization => $_[0][5] } });
